"""The campaign envelope: approvals never exceed it; beyond it, the waiting list.

``committed`` / ``left`` read it; ``approve_or_waitlist`` fires ``approve`` when the amount fits,
else ``waitlist``; a preparer on ``approve`` / ``promote`` refuses an amount beyond what is left;
money freed (renounce, lapse, recover) promotes the waiting list in ranking order. Lock order:
dossier → campaign → audit chain head."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import DecimalField, F, Subquery, Sum

from fonds import clock
from fonds.audit import chain as audit
from fonds.dossiers import services as dossier_services
from fonds.dossiers.models import Dossier
from fonds.dossiers.services import TransitionRefused
from fonds.dossiers.signals import dossier_transitioned
from fonds.dossiers.states import Forum, Status
from fonds.formats import euros
from fonds.ops import outbox
from fonds.referentiel.models import Campaign

from .models import AgendaItem, EnvelopeRelease, PromotionProposal

#: statuses whose approved amount is taken from the envelope
COMMITTED_STATUSES = (
    Status.APPROVED,
    Status.AGREEMENT_SIGNED,
    Status.ADVANCE_PAID,
    Status.REPORT_SUBMITTED,
    Status.RECOVERY_PENDING,
    Status.CLOSED,
)
ZERO = Decimal("0.00")


def _campaign_id(campaign) -> int:
    return campaign if isinstance(campaign, int) else campaign.pk


def _campaign_sum(rows, field: str):
    """``Sum(field)`` of ``rows`` grouped by campaign: a one-value subquery."""
    return rows.order_by().values("campaign_id").annotate(s=Sum(field)).values("s")


def committed(campaign) -> Decimal:
    """Approved amounts of the campaign's dossiers that hold money, minus confirmed recoveries: one
    query (two sums as subqueries of the campaign row). On PostgreSQL the first sum reads only the
    partial index ``comite_envelope_committed`` (migration ``comite.0003``)."""

    cid = _campaign_id(campaign)
    approved = _campaign_sum(
        Dossier.objects.filter(campaign_id=cid, status__in=COMMITTED_STATUSES), "approved_amount"
    )
    released = _campaign_sum(
        EnvelopeRelease.objects.filter(campaign_id=cid, confirmed_at__isnull=False), "amount"
    )
    money = DecimalField(max_digits=14, decimal_places=2)
    row = (
        Campaign.objects.filter(pk=cid)
        .order_by()
        .values_list(Subquery(approved, output_field=money), Subquery(released, output_field=money))
        .first()
    )
    if row is None:
        return ZERO
    return (row[0] or ZERO) - (row[1] or ZERO)


def left(campaign) -> Decimal:
    if isinstance(campaign, int):
        campaign = Campaign.objects.get(pk=campaign)
    return campaign.envelope - committed(campaign)


def lock_campaign(campaign_id: int) -> Campaign:
    """Lock and return the campaign row (inside a transaction)."""
    return Campaign.objects.select_for_update().get(pk=_campaign_id(campaign_id))


def waiting_list(campaign) -> list[Dossier]:
    """Waitlisted dossiers of the campaign in ranking order (score desc, smaller population, id)."""
    return list(
        Dossier.objects.filter(campaign_id=_campaign_id(campaign), status=Status.WAITLISTED)
        .select_related("commune")
        .order_by(F("assessment__score_total").desc(nulls_last=True), "commune__population", "pk")
    )


def waitlisted_amount(dossier) -> Decimal | None:
    """The amount the committee decided for a waitlisted dossier (its last agenda item), else the
    proposed amount."""

    item = (
        AgendaItem.objects.filter(
            dossier=dossier, outcome=AgendaItem.Outcome.WAITLISTED, decided_amount__isnull=False
        )
        .order_by("-decided_at", "-pk")
        .first()
    )
    return item.decided_amount if item is not None else dossier.proposed_amount


def _amount(value) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() else None


def approve_or_waitlist(
    dossier, *, by, amount: Decimal, motivation: str = "", data: dict | None = None
) -> str:
    """Fire ``approve`` when ``amount`` fits in what is left, else ``waitlist``; returns the
    transition fired (``"approve"`` or ``"waitlist"``). Runs in its own transaction (nested in the
    caller's when there is one)."""
    pk = dossier.pk if isinstance(dossier, Dossier) else dossier
    amount = Decimal(amount)
    with transaction.atomic():
        locked = Dossier.objects.select_for_update().filter(pk=pk).first()
        if locked is None:
            raise TransitionRefused("not_found", "Dossier introuvable.")
        campaign = lock_campaign(locked.campaign_id)
        available = campaign.envelope - committed(campaign)
        payload = dict(data or {})
        payload["amount"] = amount
        if amount <= available:
            name = "approve"
        else:
            name = "waitlist"
            payload["envelope_left"] = available
        dossier_services.perform(
            locked, name, by=by, motivation=motivation, data=payload, forum=Forum.COMMITTEE_SITTING
        )
    return name


# ---- hooks ---------------------------------------------------------------------------------


def prepare_envelope(dossier, by, data):
    """approve / promote: lock the campaign, refuse beyond what is left; completes data["amount"]."""
    campaign = lock_campaign(dossier.campaign_id)
    amount = _amount(data.get("amount"))
    if data.get("amount") is not None and amount is None:
        return {}  # the core preparer refuses the invalid amount with its message
    if amount is None:
        amount = (
            waitlisted_amount(dossier) if dossier.status == Status.WAITLISTED else dossier.proposed_amount
        )
        if amount is None:
            return {}  # the core preparer asks for an amount
        data["amount"] = amount
    available = campaign.envelope - committed(campaign)
    if amount > available:
        raise TransitionRefused(
            "condition",
            f"L'enveloppe de la campagne ne permet pas d'accorder {euros(amount)} : il reste "
            f"{euros(available)} "
            f"sur {euros(campaign.envelope)}. Le dossier peut être inscrit en liste complémentaire.",
            rules=["envelope"],
        )
    return {"envelope": campaign.envelope, "envelope_left_before": available}


def promote_waiting_list(campaign, *, trigger: str, trigger_dossier=None) -> list[Dossier]:
    """Money freed up (a renunciation, a lapse, a recovery): promote, strictly in ranking order,
    each waitlisted dossier whose amount fits in what is left — the first that fits, then the next
    that fits in what remains. Fired by the system (forum ``waiting_list``) inside the transaction
    that freed the money; each promotion is recorded (``PromotionProposal``, resolved at once) and
    notified through the outbox. Returns the promoted dossiers."""

    campaign = lock_campaign(_campaign_id(campaign))
    available = campaign.envelope - committed(campaign)
    promoted = []
    for dossier in waiting_list(campaign):
        amount = waitlisted_amount(dossier)
        if amount is None or amount > available:
            continue
        try:
            with (
                transaction.atomic()
            ):  # a savepoint: a refused promotion leaves the freeing transaction whole
                dossier_services.perform(
                    dossier,
                    "promote",
                    by=None,
                    forum=Forum.WAITING_LIST,
                    motivation=(
                        f"Enveloppe disponible : {euros(available)} ; promotion dans l'ordre du classement "
                        "de la liste complémentaire."
                    ),
                    data={
                        "amount": amount,
                        "trigger": trigger,
                        "trigger_dossier": trigger_dossier.reference if trigger_dossier is not None else None,
                    },
                )
        except TransitionRefused as refused:
            # e.g. an amount waitlisted before the award bounds were enforced: recorded, never promoted
            audit.append(
                "comite_promotion_refused",
                actor=None,
                role=audit.SYSTEM,
                obj=dossier,
                payload={
                    "reference": dossier.reference,
                    "amount": amount,
                    "reason": refused.message,
                    "rules": list(refused.rules),
                },
            )
            continue
        record = PromotionProposal.objects.create(
            campaign=campaign,
            dossier=dossier,
            amount=amount,
            available=available,
            trigger=trigger,
            trigger_dossier=trigger_dossier,
            resolved_at=clock.now(),
        )
        outbox.enqueue("fonds.comite.tasks.notify_promotion", record.pk)
        available -= amount
        promoted.append(dossier)
    return promoted


def _money_freed(dossier, transition: str, **kwargs) -> None:
    """``dossier_transitioned`` receiver: after the event that frees money is in the trail, the
    waiting list is promoted (its events follow in the trail, in the same transaction)."""
    if transition in MONEY_FREEING:
        promote_waiting_list(dossier.campaign_id, trigger=transition, trigger_dossier=dossier)


#: the transitions after which money is back in the envelope
MONEY_FREEING = ("renounce", "lapse", "recover")


def _after_settle(dossier, by, kwargs, motivation):
    balance = _amount(kwargs.get("balance"))
    if balance is not None and balance < 0:
        EnvelopeRelease.objects.update_or_create(
            dossier=dossier,
            defaults={"campaign_id": dossier.campaign_id, "amount": -balance, "confirmed_at": None},
        )


def _after_recover(dossier, by, kwargs, motivation):
    released = EnvelopeRelease.objects.filter(dossier=dossier, confirmed_at__isnull=True).update(
        confirmed_at=clock.now()
    )
    if released:
        kwargs["envelope_released"] = EnvelopeRelease.objects.get(dossier=dossier).amount


def register() -> None:
    """Register the preparers and after-hooks (idempotent; from ``ComiteConfig.ready``)."""
    dossier_services.preparer("approve", order=30)(prepare_envelope)
    dossier_services.preparer("promote", order=30)(prepare_envelope)
    dossier_services.after("settle")(_after_settle)
    dossier_services.after("recover")(_after_recover)
    dossier_transitioned.connect(_money_freed, dispatch_uid="comite.envelope.money_freed")


# ---- envelopes and waiting lists ---------------------------------------------------------------


@dataclass
class WaitingRow:
    dossier: Dossier
    amount: object  # Decimal | None: the amount the committee decided (else the proposal)
    proposal: object  # PromotionProposal | None (open)


@dataclass
class EnvelopeView:
    campaign: object
    committed: object
    left: object
    waiting: list[WaitingRow]


def overview(limit: int = 10) -> list[EnvelopeView]:
    """Per campaign that has committee sessions (newest first): envelope, committed, left and the
    waiting list in ranking order with each dossier's amount and open promotion proposal.
    Five queries per campaign, whatever the length of the list."""

    campaigns = list(
        Campaign.objects.filter(committee_sessions__isnull=False).distinct().order_by("-year", "-pk")[:limit]
    )
    out = []
    for campaign in campaigns:
        queue = waiting_list(campaign)
        ids = [d.pk for d in queue]
        decided = {}
        for dossier_id, amount in (
            AgendaItem.objects.filter(
                dossier_id__in=ids, outcome=AgendaItem.Outcome.WAITLISTED, decided_amount__isnull=False
            )
            .order_by("decided_at", "pk")
            .values_list("dossier_id", "decided_amount")
        ):
            decided[dossier_id] = amount  # the latest decision wins (ordered oldest first)
        proposals = {
            p.dossier_id: p
            for p in PromotionProposal.objects.filter(dossier_id__in=ids, resolved_at__isnull=True)
        }
        committed_amount = committed(campaign)
        out.append(
            EnvelopeView(
                campaign=campaign,
                committed=committed_amount,
                left=campaign.envelope - committed_amount,
                waiting=[
                    WaitingRow(d, decided.get(d.pk, d.proposed_amount), proposals.get(d.pk)) for d in queue
                ],
            )
        )
    return out
