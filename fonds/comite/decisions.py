"""The outcome of each item (through ``perform``: approve or waitlist, reject, defer) and the
closing of the session with its minutes."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Sum

from fonds import clock
from fonds.audit import chain as audit
from fonds.dossiers.services import TransitionRefused, perform
from fonds.dossiers.states import Forum
from fonds.ops import outbox

from . import envelope
from .errors import ComiteRefused
from .guards import (
    check_amount,
    clean_money,
    clean_text,
    from_transition,
    lock_item,
    lock_session,
    require_chair,
    require_presiding,
    require_status,
)
from .minutes import store_minutes
from .models import AgendaItem, Session
from .reading import audit_presided, may_defer_unpresided

OUTCOMES = ("approve", "reject", "defer")


def decide(item: AgendaItem, *, by, outcome: str, amount=None, motivation: str = "") -> AgendaItem:
    """The presiding member records the item's outcome through ``perform``: ``approve`` (vote
    adopted; the amount voted or amended, within ``award_bounds``; waitlisted beyond the
    envelope), ``reject`` (vote not adopted, motivated) or ``defer`` (vote not open). When nobody
    may preside the chair may only defer. Audit: the transition, plus ``comite_outcome``."""
    if outcome not in OUTCOMES:
        raise ComiteRefused(
            "condition", "Décision : « approve », « reject » ou « defer » attendu.", ["outcome"]
        )
    motivation = clean_text(motivation, "Motivation")
    with transaction.atomic():
        item = lock_item(item)
        session = item.session
        dossier = item.dossier
        if outcome == "defer" and may_defer_unpresided(item, by):
            role = "president"
        else:
            role = require_presiding(item, by, "enregistrer la décision")
        require_status(session, (Session.Status.SITTING,), "enregistrer une décision")
        if item.outcome:
            raise ComiteRefused(
                "status", f"La décision sur le dossier {dossier.reference} est déjà enregistrée."
            )
        data = {"session": session.pk, "item": item.pk}
        decided_amount = None
        try:
            if outcome == "defer":
                result = _defer(item, by, motivation, data)
            elif outcome == "approve":
                result, decided_amount = _approve(item, by, amount, motivation, data)
            else:
                result = _reject(item, by, motivation, data)
        except TransitionRefused as exc:
            raise from_transition(exc) from exc
        item.outcome = result
        item.decided_amount = decided_amount
        item.motivation = motivation
        item.decided_at = clock.now()
        item.decided_by = by
        item.save(update_fields=["outcome", "decided_amount", "motivation", "decided_at", "decided_by"])
        left = envelope.left(session.campaign)
        audit_presided(
            "comite_outcome",
            item,
            by=by,
            role=role,
            payload={
                "outcome": result,
                "amount": decided_amount,
                "motivation": motivation,
                "tally": item.tally,
                "envelope_left": left,
                "rules_version": dossier.rules.version,
            },
        )
    return item


def _defer(item: AgendaItem, by, motivation: str, data: dict) -> str:
    if item.vote_state == AgendaItem.VoteState.OPEN:
        raise ComiteRefused("status", "Clôturez d'abord le vote en cours.")
    perform(item.dossier, "defer", by=by, motivation=motivation, data=data, forum=Forum.COMMITTEE_SITTING)
    return AgendaItem.Outcome.DEFERRED


def _closed_vote_adopted(item: AgendaItem, data: dict) -> bool:
    """Whether the item's (closed) vote adopted the motion; the tally goes in ``data``."""
    if item.vote_state != AgendaItem.VoteState.CLOSED:
        raise ComiteRefused(
            "status", "Le vote sur ce dossier n'est pas clos : la décision suit le vote.", ["vote"]
        )
    data["tally"] = item.tally
    return bool(item.tally.get("adopted"))


def _approve(item: AgendaItem, by, amount, motivation: str, data: dict) -> tuple[str, Decimal]:
    """Approve (or waitlist, beyond the envelope) at the amount voted, or an amended one."""
    if not _closed_vote_adopted(item, data):
        raise ComiteRefused(
            "condition",
            "Le comité n'a pas adopté l'attribution : la décision ne peut pas être un accord.",
            ["vote"],
        )
    decided_amount = item.amount
    if amount not in (None, ""):
        given = clean_money(amount, "Montant")
        if given != item.amount:
            if not motivation:
                raise ComiteRefused(
                    "condition",
                    "Un montant différent de celui voté est un amendement : motivez-le.",
                    ["amendment"],
                )
            decided_amount = given
    if decided_amount is None:
        raise ComiteRefused("condition", "Aucun montant soumis au vote.", ["amount"])
    check_amount(item, decided_amount, "Montant accordé")
    fired = envelope.approve_or_waitlist(
        item.dossier,
        by=by,
        amount=decided_amount,
        motivation=motivation or item.amendment_motivation,
        data=data,
    )
    approved = fired == "approve"
    return (AgendaItem.Outcome.APPROVED if approved else AgendaItem.Outcome.WAITLISTED), decided_amount


def _reject(item: AgendaItem, by, motivation: str, data: dict) -> str:
    if _closed_vote_adopted(item, data):
        raise ComiteRefused(
            "condition",
            "Le comité a adopté l'attribution : la décision ne peut pas être un refus.",
            ["vote"],
        )
    if not motivation:
        raise ComiteRefused(
            "motivation", "Un refus exige une motivation écrite (notifiée au maire).", ["motivation"]
        )
    perform(item.dossier, "reject", by=by, motivation=motivation, data=data, forum=Forum.COMMITTEE_SITTING)
    return AgendaItem.Outcome.REJECTED


def close_session(session: Session, *, by) -> Session:
    """The chair closes the session (every item decided): the minutes PDF (procès-verbal) is
    generated and stored (``GeneratedDocument`` kind ``minutes``), its SHA-256 goes in the audit
    event ``comite_session_closed``; on commit a Celery task per decided dossier makes its
    decision letter and emails the mayor(s)."""
    stored = []
    try:
        return _close_session(session, by, stored)
    except BaseException:
        for document in stored:  # the transaction rolled back: no orphan file
            document.file.storage.delete(document.file.name)
        raise


def _close_session(session, by, stored: list) -> Session:
    with transaction.atomic():
        session = lock_session(session)
        require_chair(session, by, "clore la séance")
        require_status(session, (Session.Status.SITTING,), "clore la séance")
        undecided = list(
            session.items.filter(outcome="").order_by("rank").values_list("dossier__reference", flat=True)
        )
        if undecided:
            raise ComiteRefused(
                "condition",
                "Chaque dossier inscrit doit recevoir une décision avant la clôture ; sans décision : "
                + ", ".join(undecided[:20])
                + ("…" if len(undecided) > 20 else "")
                + ".",
                ["undecided"],
            )
        now = clock.now()
        session.status = Session.Status.CLOSED
        session.ended_at = now
        document, created = store_minutes(session, at=now)
        if created:
            stored.append(document)
        session.minutes = document
        session.minutes_sha256 = document.sha256
        session.save(update_fields=["status", "ended_at", "minutes", "minutes_sha256"])
        counts = dict(session.items.values("outcome").annotate(n=Count("pk")).values_list("outcome", "n"))
        approved = session.items.filter(outcome=AgendaItem.Outcome.APPROVED).aggregate(
            s=Sum("decided_amount")
        )["s"] or Decimal("0.00")
        audit.append(
            "comite_session_closed",
            actor=by,
            role="president",
            obj=session,
            payload={
                "minutes": document.pk,
                "sha256": document.sha256,
                "size": document.size,
                "outcomes": counts,
                "approved_total": approved,
                "envelope": session.campaign.envelope,
                "envelope_left": envelope.left(session.campaign),
                "rules_version": session.campaign.rules.version,
            },
        )
        for item_pk in session.items.order_by("rank").values_list("pk", flat=True):
            outbox.enqueue("fonds.comite.tasks.generate_decision_letter", item_pk)
        # the head, closing event included, time-stamped outside the database (docs/proof.md)
        outbox.enqueue("fonds.anchors.tasks.anchor_head", "comite_session_closed", session.pk)
    return session
