"""What the stages add to a transition: preparers (conditions and data before it) and after-hooks
(consequences in its transaction), with their batch versions for ``perform_many``."""

from __future__ import annotations

from collections.abc import Callable

from .models import Dossier
from .transitions import TRANSITIONS

# A preparer receives (dossier, by, data) inside the transaction, may raise TransitionRefused,
# and returns keyword arguments for the transition method (also written to the audit payload).
# Several stages may register for the same transition: they run by ``order`` (lower first, then
# registration order); ``data`` is shared, so an earlier preparer may complete it for a later one;
# returned kwargs are merged, later ones winning. ``data["motivation"]`` holds perform's motivation.
#
# After-hooks run once the transition is saved, in the same transaction, before the audit event:
# ``(dossier, by, kwargs, motivation)``; they may add to ``kwargs`` (written to the audit payload).

Preparer = Callable[[Dossier, object, dict], dict]
PREPARERS: dict[str, list[tuple[int, Preparer]]] = {}
AFTER: dict[str, list[tuple[int, Callable]]] = {}


def _register(table: dict, name: str, func, order: int) -> None:
    if name not in TRANSITIONS:
        raise KeyError(f"unknown transition {name!r}")
    hooks = table.setdefault(name, [])
    if any(f is func for _, f in hooks):
        return  # idempotent: AppConfig.ready() may run twice in tests
    hooks.append((order, func))
    hooks.sort(key=lambda pair: pair[0])  # stable: same order keeps registration order


def preparer(name: str, *, order: int = 50, many=None):
    """Register ``func(dossier, by, data) -> kwargs`` for ``name``; ``many`` is its optional batch
    version for ``perform_many`` (see `batch_version`)."""

    def register(func: Preparer) -> Preparer:
        _register(PREPARERS, name, func, order)
        if many is not None:
            batch_version(func)(many)
        return func

    return register


def after(name: str, *, order: int = 50, many=None):
    def register(func):
        _register(AFTER, name, func, order)
        if many is not None:
            batch_version(func)(many)
        return func

    return register


#: hook → its batch version (used by ``perform_many``; ``perform`` always calls the hook itself)
BATCH_VERSIONS: dict[Callable, Callable] = {}


def batch_version(func):
    """Declare the batch version of a preparer or an after-hook, for ``perform_many``.

    * preparer ``func(dossier, by, data) -> kwargs`` → ``many(dossiers, by, datas) -> {pk: kwargs
      or TransitionRefused}`` (``datas``: ``{pk: data}``, the per-dossier ``data`` dicts); it must
      give, for each dossier, exactly what ``func`` would (same checks, same kwargs, same writes);
    * after-hook ``func(dossier, by, kwargs, motivation)`` → ``many([(dossier, kwargs), …], by,
      motivation)``.

    A hook without a batch version is called once per dossier by ``perform_many``.
    """

    def register(many):
        BATCH_VERSIONS[func] = many
        return many

    return register


def preparers_for(name: str) -> list[Preparer]:
    return [f for _, f in PREPARERS.get(name, [])]


def after_hooks_for(name: str) -> list[Callable]:
    return [f for _, f in AFTER.get(name, [])]
