"""The one path of every dossier change.

``perform(dossier, "submit", by=user)``, in one transaction: lock the row, check status, forum,
role and conditions (preparers), run the django-fsm-2 transition and save, run the after-hooks,
append the audit event, send ``dossier_transitioned``. A refusal changes nothing and raises
`TransitionRefused` (French message; the API maps its ``kind`` to 409/403/400).
``perform_many`` is the same path for a chunk of dossiers (bulk actions), in a few statements.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition

from fonds import clock
from fonds.accounts.roles import Role, roles_of
from fonds.audit import chain as audit
from fonds.refusals import Refused
from fonds.sql import update_rows

from .access import can_see
from .models import CorrectionRequest, Dossier
from .signals import dossier_transitioned
from .states import FORUM_WHERE, SYSTEM_ROLE, Forum, Status


class TransitionRefused(Refused):
    """A refused dossier transition (``fonds.refusals.Refused``: kind, French message, rules)."""


# ---- the transition table, read from the model ----------------------------------------------


def _collect():
    table = {}
    for t in Dossier._meta.get_field("status").get_all_transitions(Dossier):
        entry = table.setdefault(t.name, {"name": t.name, "sources": set(), "custom": t.custom})
        entry["sources"].add(t.source)
    return table


TRANSITIONS: dict[str, dict] = _collect()


def transition_names() -> list[str]:
    return list(TRANSITIONS)


def transition_meta(name: str) -> dict:
    try:
        return TRANSITIONS[name]
    except KeyError:
        raise TransitionRefused("unknown", f"Transition inconnue : « {name} ».") from None


def status_label(value: str) -> str:
    try:
        return Status(value).label
    except ValueError:
        return value


def forums_of(name: str) -> dict:
    """``{forum: roles}``: where ``name`` may be fired, and by whom there."""
    return transition_meta(name)["custom"]["forums"]


def acting_role(user, name: str, dossier: Dossier, forum: str = Forum.DOSSIER) -> str | None:
    """The role under which ``user`` may fire ``name`` on ``dossier`` from ``forum`` (None: may not)."""
    allowed = forums_of(name).get(forum, ())
    if user is None:
        return SYSTEM_ROLE if SYSTEM_ROLE in allowed else None
    held = roles_of(user)
    for role in allowed:
        if role not in held:
            continue
        if role == Role.PORTEUR and user.commune_id != dossier.commune_id:
            continue
        if role == Role.COMITE and dossier.instructor_id == user.pk:
            continue  # never instruct and vote on the same dossier
        return role
    return None


def available_transitions(dossier: Dossier, user, forum: str = Forum.DOSSIER) -> list[dict]:
    """What this user may do now from ``forum`` (status, forum and role checked; conditions are
    checked on perform). The dossier's page and API list these, and nothing else."""
    result = []
    for name, entry in TRANSITIONS.items():
        if dossier.status in entry["sources"] and acting_role(user, name, dossier, forum):
            custom = entry["custom"]
            result.append(
                {
                    "name": name,
                    "label": custom["label"],
                    "needs_motivation": custom["needs_motivation"],
                    "confirm": custom["confirm"],
                }
            )
    return result


# ---- per-transition preparation: conditions and data the règlement adds ----------------------
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


def _correction_request(dossier, by, kwargs, motivation) -> CorrectionRequest:
    return CorrectionRequest(
        dossier=dossier,
        requested_by=by,
        message=motivation,
        fields=kwargs.get("fields", []),
        documents=kwargs.get("documents", []),
        deadline=kwargs["deadline"],
    )


@after("request_corrections")
def _record_correction_request(dossier, by, kwargs, motivation):
    _correction_request(dossier, by, kwargs, motivation).save()


@batch_version(_record_correction_request)
def _record_correction_requests(items, by, motivation):
    CorrectionRequest.objects.bulk_create(
        _correction_request(d, by, kwargs, motivation) for d, kwargs in items
    )


@after("resubmit")
def _answer_correction_request(dossier, by, kwargs, motivation):
    dossier.correction_requests.filter(answered_at__isnull=True).update(answered_at=clock.now())


def _money(value, field_name: str, *, allow_negative: bool = False) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise TransitionRefused("condition", f"{field_name} : montant invalide.") from None
    if not amount.is_finite() or amount.as_tuple().exponent < -2 or (amount < 0 and not allow_negative):
        raise TransitionRefused(
            "condition",
            f"{field_name} : montant {'positif ' if not allow_negative else ''}"
            "avec au plus deux décimales attendu.",
        )
    return amount


@preparer("request_corrections")
def _prepare_corrections(dossier, by, data):
    days = dossier.campaign.rules.params["deadlines"]["corrections_days"]
    deadline = data.get("deadline")
    if deadline:
        if isinstance(deadline, str):
            try:
                deadline = dt.datetime.fromisoformat(deadline)
            except ValueError:
                raise TransitionRefused(
                    "condition", "deadline : date invalide (format AAAA-MM-JJ)."
                ) from None
        if isinstance(deadline, dt.date) and not isinstance(deadline, dt.datetime):
            deadline = dt.datetime.combine(deadline, dt.time(23, 59, 59))
        if timezone.is_naive(deadline):
            deadline = timezone.make_aware(deadline)
        if deadline <= clock.now():
            raise TransitionRefused("condition", "deadline : l'échéance doit être dans le futur.")
    else:
        deadline = clock.now() + dt.timedelta(days=days)
    return {
        "deadline": deadline,
        "fields": list(data.get("fields") or []),
        "documents": list(data.get("documents") or []),
    }


@preparer("complete_instruction")
def _prepare_complete(dossier, by, data):
    out = {}
    if data.get("opinion"):
        if data["opinion"] not in ("favourable", "unfavourable"):
            raise TransitionRefused("condition", "opinion : « favourable » ou « unfavourable » attendu.")
        out["opinion"] = data["opinion"]
    if data.get("proposed_amount") is not None:
        out["proposed_amount"] = _money(data["proposed_amount"], "proposed_amount")
    return out


def _agreement_due(dossier):
    return clock.now() + dt.timedelta(days=dossier.campaign.rules.params["deadlines"]["agreement_days"])


@preparer("approve")
@preparer("promote")
def _prepare_approve(dossier, by, data):
    amount = data.get("amount")
    amount = _money(amount, "amount") if amount is not None else dossier.proposed_amount
    if amount is None:
        raise TransitionRefused("condition", "Aucun montant proposé : indiquez le montant accordé.")
    return {"amount": amount, "agreement_due": _agreement_due(dossier)}


@preparer("pay_advance")
def _prepare_pay_advance(dossier, by, data):
    end = dossier.end_date or clock.today()
    months = dossier.campaign.rules.params["deadlines"]["report_months_after_end"]
    month = end.month - 1 + months
    year, month = end.year + month // 12, month % 12 + 1
    day = min(
        end.day,
        [
            31,
            29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28,
            31,
            30,
            31,
            30,
            31,
            31,
            30,
            31,
            30,
            31,
        ][month - 1],
    )
    return {"report_due": dt.date(year, month, day)}


@preparer("settle")
def _prepare_settle(dossier, by, data):
    if data.get("balance") is None:
        raise TransitionRefused("condition", "balance : le solde calculé est requis pour solder le dossier.")
    return {"balance": _money(data["balance"], "balance", allow_negative=True)}


# ---- perform ------------------------------------------------------------------------------
# ``perform`` and ``perform_many`` share every step below: the same lock, the same checks, the
# same preparers and after-hooks, the same audit payload and the same signal.


def _lock(pks):
    """The dossiers ``pks``, locked (``SELECT … FOR UPDATE``), with their campaign and commune."""
    return Dossier.objects.select_for_update().select_related("campaign", "commune").filter(pk__in=pks)


def forum_refusal(name: str, forum: str) -> TransitionRefused:
    """The refusal of ``name`` fired from ``forum`` when it belongs elsewhere: 409, with the code
    ``forum_<its forum>`` and where it is done, in French."""
    custom = transition_meta(name)["custom"]
    home = next(iter(custom["forums"]))
    return TransitionRefused(
        "forum",
        f"« {custom['label']} » ne se fait pas depuis {Forum(forum).label}. {FORUM_WHERE[home]}",
        code=f"forum_{home}",
    )


def require_forum(name: str, forum: str) -> None:
    """Refuse at once (before reading any input) a transition fired from a forum not its own."""
    if forum not in transition_meta(name)["custom"]["forums"]:
        raise forum_refusal(name, forum)


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
            "rules_version": locked.campaign.rules.version,
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
