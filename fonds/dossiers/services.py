"""The one path of every dossier change.

``perform(dossier, "submit", by=user)``, in one transaction: lock the row, check status, forum,
role and conditions (preparers), run the django-fsm-2 transition and save, run the after-hooks,
append the audit event, send ``dossier_transitioned``. A refusal changes nothing and raises
`TransitionRefused` (French message; the API maps its ``kind`` to 409/403/400).
``perform_many`` is the same path for a chunk of dossiers (bulk actions), in a few statements.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django_fsm import ConcurrentTransition

from fonds import clock
from fonds.audit import chain as audit
from fonds.sql import update_rows

from . import preparers  # the dossier's own preparers and after-hooks, registered on import
from .access import can_see
from .hooks import (
    AFTER,
    BATCH_VERSIONS,
    PREPARERS,
    Preparer,
    after,
    after_hooks_for,
    batch_version,
    preparer,
    preparers_for,
)
from .models import Dossier
from .signals import dossier_transitioned
from .states import Forum
from .transitions import (
    TRANSITIONS,
    TransitionRefused,
    acting_role,
    available_transitions,
    forum_refusal,
    forums_of,
    require_forum,
    status_label,
    transition_meta,
    transition_names,
)

#: the names the stages, pages and API use (``services.perform``, ``services.preparer``…)
__all__ = [
    "AFTER",
    "BATCH_VERSIONS",
    "PREPARERS",
    "TRANSITIONS",
    "Batch",
    "ManyResult",
    "Preparer",
    "Refusal",
    "TransitionRefused",
    "acting_role",
    "after",
    "after_hooks_for",
    "available_transitions",
    "batch_version",
    "forum_refusal",
    "forums_of",
    "perform",
    "perform_many",
    "preparer",
    "preparers",
    "preparers_for",
    "require_forum",
    "status_label",
    "transition_meta",
    "transition_names",
]


# ---- perform ------------------------------------------------------------------------------
# ``perform`` and ``perform_many`` share every step below: the same lock, the same checks, the
# same preparers and after-hooks, the same audit payload and the same signal.


def _lock(pks):
    """The dossiers ``pks``, locked (``SELECT … FOR UPDATE``), with their campaign and commune."""
    return Dossier.objects.select_for_update().select_related("campaign", "commune").filter(pk__in=pks)


def _check(locked: Dossier | None, name: str, meta: dict, by, motivation: str, forum: str) -> str:
    """Visibility, status, forum, role and motivation of ``name`` on ``locked``; the acting role.
    Raises ``TransitionRefused`` (not_found, status, forum, role, motivation)."""
    custom = meta["custom"]
    if locked is None or (by is not None and not can_see(by, locked)):
        raise TransitionRefused("not_found", "Dossier introuvable.")
    source = locked.status
    if source not in meta["sources"]:
        raise TransitionRefused(
            "status",
            f"« {custom['label']} » n'est pas possible : le dossier est « {status_label(source)} ».",
        )
    if forum not in custom["forums"]:
        raise forum_refusal(name, forum)
    role = acting_role(by, name, locked, forum)
    if role is None:
        raise TransitionRefused(
            "role", f"Votre rôle ne vous permet pas l'action « {custom['label']} » sur ce dossier."
        )
    if custom["needs_motivation"] and not motivation:
        raise TransitionRefused("motivation", f"« {custom['label']} » exige une motivation écrite.")
    return role


def _initial_data(data: dict | None, motivation: str) -> dict:
    data = dict(data or {})
    data.setdefault("motivation", motivation)
    return data


def _audit_entry(
    name: str, locked: Dossier, by, role: str, source: str, motivation: str, kwargs: dict, forum: str
) -> dict:
    return dict(
        action=name,
        actor=by,
        role=role,
        obj=locked,
        payload={
            "reference": locked.reference,
            "from": source,
            "to": locked.status,
            "forum": str(forum),
            "motivation": motivation,
            "data": {k: v for k, v in kwargs.items()},
            "rules_version": locked.rules.version,
        },
    )


def _signal(locked: Dossier, name: str, by, role: str, source: str, batch=None) -> None:
    extra = {} if batch is None else {"batch": batch}
    dossier_transitioned.send(
        sender=Dossier,
        dossier=locked,
        transition=name,
        by=by,
        role=role,
        source=source,
        target=locked.status,
        **extra,
    )


def perform(
    dossier: Dossier | int,
    name: str,
    *,
    by=None,
    motivation: str = "",
    data: dict | None = None,
    forum: str = Forum.DOSSIER,
) -> Dossier:
    """Fire transition ``name`` on ``dossier`` as ``by`` (None = the system), from ``forum``: the
    dossier's screens and API by default; the committee, payment and deadline services name theirs."""
    meta = transition_meta(name)
    motivation = (motivation or "").strip()
    pk = dossier.pk if isinstance(dossier, Dossier) else dossier
    try:
        with transaction.atomic():
            locked = _lock([pk]).first()
            role = _check(locked, name, meta, by, motivation, forum)
            source = locked.status
            data = _initial_data(data, motivation)
            kwargs = {}
            for prepare in preparers_for(name):
                kwargs.update(prepare(locked, by, data) or {})
            getattr(locked, name)(by=by, motivation=motivation, **kwargs)
            locked.save()
            for hook in after_hooks_for(name):
                hook(locked, by, kwargs, motivation)
            audit.append(**_audit_entry(name, locked, by, role, source, motivation, kwargs, forum))
            _signal(locked, name, by, role, source)
    except ConcurrentTransition as exc:
        raise TransitionRefused(
            "conflict",
            "Le dossier vient d'être modifié par quelqu'un d'autre : rechargez la page et recommencez.",
        ) from exc
    if isinstance(dossier, Dossier):
        dossier.refresh_from_db()
    return locked


# ---- perform_many: the same path for a chunk of dossiers ------------------------------------


@dataclass
class Refusal:
    """A dossier ``perform_many`` did not change, with the French reason (as ``TransitionRefused``)."""

    dossier_id: int
    kind: str
    message: str
    rules: list = field(default_factory=list)


@dataclass
class ManyResult:
    done: list  # the dossiers transitioned, in the order of the ids given
    refused: list  # [Refusal], in the order of the ids given


class Batch:
    """Given to the receivers of ``dossier_transitioned`` by ``perform_many`` (keyword ``batch``).

    The signal is still sent once per dossier, inside the transaction, after the audit events; a
    receiver that can work on a whole chunk may ``defer(key, flush, item)`` instead of acting at
    once: ``flush(items)`` is then called once, with every item deferred under ``key``, before
    ``perform_many`` returns (same transaction; an exception rolls back the whole chunk). A
    receiver that ignores ``batch`` acts per dossier, as with ``perform``.
    """

    def __init__(self):
        self._pending: dict = {}

    def defer(self, key, flush: Callable, item) -> None:
        self._pending.setdefault(key, (flush, []))[1].append(item)

    def flush(self) -> None:
        while self._pending:
            key = next(iter(self._pending))
            flush, items = self._pending.pop(key)
            flush(items)


def _locked_rows(pks) -> dict:
    rows = {d.pk: d for d in _lock(pks)}
    campaigns: dict = {}
    for d in rows.values():  # one Campaign object per campaign: its rules are read once per chunk
        d.campaign = campaigns.setdefault(d.campaign_id, d.campaign)
    return rows


def _prepare_many(name: str, dossiers: list, by, data: dict | None, motivation: str) -> tuple[dict, dict]:
    """Run the preparers of ``name`` in order over ``dossiers`` (batch versions when declared);
    a dossier refused by one preparer is not given to the next ones. ``(kwargs, refusals)`` by pk."""
    datas = {d.pk: _initial_data(data, motivation) for d in dossiers}
    kwargs: dict = {d.pk: {} for d in dossiers}
    refusals: dict = {}
    alive = list(dossiers)
    for prepare in preparers_for(name):
        if not alive:
            break
        many = BATCH_VERSIONS.get(prepare)
        if many is not None:
            results = many(alive, by, datas)
            for d in alive:
                result = results.get(d.pk)
                if isinstance(result, TransitionRefused):
                    refusals[d.pk] = result
                else:
                    kwargs[d.pk].update(result or {})
        else:
            for d in alive:
                try:
                    kwargs[d.pk].update(prepare(d, by, datas[d.pk]) or {})
                except TransitionRefused as refused:
                    refusals[d.pk] = refused
        alive = [d for d in alive if d.pk not in refusals]
    return kwargs, refusals


_FIELDS = None


def _saved_fields():
    global _FIELDS
    if _FIELDS is None:
        _FIELDS = [f for f in Dossier._meta.concrete_fields if not f.primary_key]
    return _FIELDS


def perform_many(
    ids, name: str, *, by=None, motivation: str = "", data: dict | None = None, forum: str = Forum.DOSSIER
) -> ManyResult:
    """``perform(dossier, name, by=…, …)`` for many dossiers, in ONE transaction, with the same
    checks, preparers (or their batch versions), transition, after-hooks, audit events and signal
    (plus ``batch``) for each. Refused dossiers are returned (``ManyResult.refused``) and change
    nothing. All are checked and prepared before any is transitioned; rows are written with one
    ``UPDATE … WHERE status = source`` per source status (count checked).
    """
    meta = transition_meta(name)
    motivation = (motivation or "").strip()
    order = list(dict.fromkeys(ids))
    try:
        with transaction.atomic():
            return _perform_many(order, name, meta, by, motivation, data, forum)
    except ConcurrentTransition as exc:
        raise TransitionRefused(
            "conflict",
            "Des dossiers viennent d'être modifiés par quelqu'un d'autre : rien n'a été fait, recommencez.",
        ) from exc


def _perform_many(
    order: list, name: str, meta: dict, by, motivation: str, data: dict | None, forum: str
) -> ManyResult:
    rows = _locked_rows(order)
    refused: dict = {}
    roles: dict = {}
    for pk in order:
        try:
            roles[pk] = _check(rows.get(pk), name, meta, by, motivation, forum)
        except TransitionRefused as refusal:
            refused[pk] = refusal
    ready = [pk for pk in order if pk in roles]
    kwargs: dict = {}
    while ready:
        savepoint = transaction.savepoint()
        kwargs, refusals = _prepare_many(name, [rows[pk] for pk in ready], by, data, motivation)
        if not refusals:
            transaction.savepoint_commit(savepoint)
            break
        # undo what the preparers wrote for every dossier, replay without the refused ones
        transaction.savepoint_rollback(savepoint)
        refused.update(refusals)
        ready = [pk for pk in ready if pk not in refusals]
        rows = _locked_rows(ready)  # fresh objects: a preparer may have changed them in memory
    done: list = []
    if ready:
        fields = _saved_fields()
        now = clock.now()
        changed = {"status", "updated_at"}
        groups: dict = {}
        for pk in ready:
            d = rows[pk]
            source = d.status
            before = [getattr(d, f.attname) for f in fields]
            getattr(d, name)(by=by, motivation=motivation, **kwargs[pk])
            d.updated_at = now  # what save() does (auto_now)
            changed.update(f.name for f, old in zip(fields, before) if getattr(d, f.attname) != old)
            groups.setdefault(source, []).append(d)
            done.append((d, roles[pk], source))

        names = [f.name for f in fields if f.name in changed]
        attnames = [f.attname for f in fields if f.name in changed]
        for source, objs in groups.items():
            # rows are locked; ``status = source`` keeps the FSM's optimistic guard
            values = {
                d.pk: {name: getattr(d, attname) for name, attname in zip(names, attnames)} for d in objs
            }
            if update_rows(Dossier, values, where={"status": source}) != len(objs):
                raise ConcurrentTransition("perform_many: a dossier changed under the lock")
            for d in objs:
                d._update_initial_state()
        for hook in after_hooks_for(name):
            many = BATCH_VERSIONS.get(hook)
            if many is not None:
                many([(d, kwargs[d.pk]) for d, _, _ in done], by, motivation)
            else:
                for d, _, _ in done:
                    hook(d, by, kwargs[d.pk], motivation)
        audit.append_many(
            [
                _audit_entry(name, d, by, role, source, motivation, kwargs[d.pk], forum)
                for d, role, source in done
            ]
        )
        batch = Batch()
        for d, role, source in done:
            _signal(d, name, by, role, source, batch)
        batch.flush()
    return ManyResult(
        done=[d for d, _, _ in done],
        refused=[
            Refusal(pk, refused[pk].kind, refused[pk].message, list(refused[pk].rules or []))
            for pk in order
            if pk in refused
        ],
    )
