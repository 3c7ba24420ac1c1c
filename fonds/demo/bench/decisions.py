"""The committee and the money for one dossier: its agenda item in one of the campaign's sessions
with every member's vote and the decision letter; its payment orders (advance, balance, recovery)
and settlement. Paid transfers are grouped in SEPA batches by ``Chunk``."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

from fonds.accounts.roles import Role
from fonds.comite.models import AgendaItem, Vote
from fonds.dossiers.states import Status as S
from fonds.payments.models import OrderKind, OrderState, PaymentOrder, Settlement

from .paths import ADVANCED, OUTCOME_OF

CHOICES = {"approved": "pour", "rejected": "contre", "waitlisted": "pour"}


def committee(chunk, ctx, d, campaign, path, at) -> tuple:
    """The agenda item (decided in a closed session, or pending in the convened one) and votes;
    returns (scheduled at, decided at)."""
    rng, cast = ctx.rng, ctx.cast
    decision = next((OUTCOME_OF[n] for n in path if n in OUTCOME_OF), "")
    closed, convened = cast.sessions[campaign.pk]
    session = rng.choice(closed) if decision else convened
    rank = ctx.ranks[session.pk] = ctx.ranks.get(session.pk, 0) + 1
    scheduled = session.convened_at - dt.timedelta(days=rng.randint(1, 10))
    item_pk = ctx.keys.take(AgendaItem)
    decided_at = session.opened_at + dt.timedelta(minutes=rank % 240) if decision else None
    granted = d.proposed_amount if decision == "approved" else None
    tally: dict = {}
    if decision:
        majority = CHOICES[decision]
        for n, member in enumerate(cast.members):
            choice = majority if n < 6 else rng.choice(("pour", "contre", "abstention"))
            tally[choice] = tally.get(choice, 0) + 1
            cast_at = decided_at - dt.timedelta(minutes=1)
            chunk.add(Vote(item_id=item_pk, member=member, elector=member, choice=choice, cast_at=cast_at))
            chunk.event(
                "comite_vote_cast",
                cast_at,
                member,
                Role.COMITE,
                ("comite.agendaitem", item_pk),
                {"reference": d.reference, "elector": member.pk, "proxy": False, "choice": choice},
            )
        tally["adopted"] = decision == "approved"
        chunk.event(
            "decision_letter_sent",
            decided_at + dt.timedelta(days=2),
            None,
            "system",
            ("dossiers.dossier", d.pk),
            {"reference": d.reference, "outcome": decision},
        )
    chunk.add(
        AgendaItem(
            pk=item_pk,
            session=session,
            dossier_id=d.pk,
            rank=rank,
            score_total=getattr(d, "_score_total", None),
            population=cast.population[d.commune_id],
            proposed_amount=d.proposed_amount,
            amount=d.proposed_amount,
            vote_state=AgendaItem.VoteState.CLOSED if decision else AgendaItem.VoteState.PENDING,
            vote_opened_at=decided_at - dt.timedelta(minutes=5) if decision else None,
            vote_closed_at=decided_at,
            quorum={"members": len(cast.members), "present": len(cast.members)} if decision else {},
            tally=tally,
            outcome=decision,
            decided_amount=granted,
            motivation="Projet conforme aux priorités du fonds." if decision else "",
            decided_at=decided_at,
            decided_by=cast.members[0] if decision else None,
        )
    )
    return scheduled, decided_at or scheduled


def _order(chunk, ctx, d, kind, amount, state, at, **extra) -> PaymentOrder:
    pk = ctx.keys.take(PaymentOrder)
    order = chunk.add(
        PaymentOrder(
            pk=pk,
            reference=f"FJJ-{kind[:3].upper()}-{pk:08d}",
            dossier_id=d.pk,
            kind=kind,
            amount=amount,
            state=state,
            created_at=at,
            created_by=ctx.cast.finance,
            rules_version=1,
            breakdown={"grant": str(d.approved_amount or d.proposed_amount)},
            **extra,
        )
    )
    obj, payload = ("payments.paymentorder", pk), {"reference": order.reference, "dossier": d.reference}
    chunk.event("payment_order_created", at, None, "system", obj, payload)
    if state != OrderState.CONTRADICTORY:
        chunk.event(
            "payment_order_certified",
            at + dt.timedelta(hours=1),
            ctx.cast.finance,
            Role.FINANCE,
            obj,
            payload,
        )
    return order


def _pay(chunk, ctx, d, campaign, order: PaymentOrder) -> None:
    bank = f"{d.commune_id}-bench"
    creditor = {
        "campaign": campaign.pk,
        "dossier": d.reference,
        "holder": f"Trésor public — commune {d.commune_id}",
        "iban": f"FR76{d.commune_id}",
        "fingerprint": hashlib.sha256(bank.encode()).hexdigest(),
    }
    chunk.paid.append((order, creditor))
    payload = {"reference": order.reference, "dossier": d.reference}
    chunk.event(
        "payment_order_paid",
        order.paid_at,
        ctx.cast.finance,
        Role.FINANCE,
        ("payments.paymentorder", order.pk),
        payload,
    )


def money(chunk, ctx, d, campaign, name, status, at, recovered: bool = False):
    """The orders of the ``name`` transition (accept_agreement, pay_advance, settle); returns when.
    ``recovered``: the overpaid advance was paid back (the dossier's recover transition follows)."""
    granted = d.proposed_amount
    advance = (granted * Decimal("0.5")).quantize(Decimal("0.01"))
    if name == "accept_agreement" and status == S.AGREEMENT_SIGNED:
        _order(chunk, ctx, d, OrderKind.ADVANCE, advance, OrderState.READY, at)
    elif name == "pay_advance" and status in ADVANCED:
        paid = at + dt.timedelta(days=5)
        _pay(
            chunk,
            ctx,
            d,
            campaign,
            _order(chunk, ctx, d, OrderKind.ADVANCE, advance, OrderState.PAID, at, paid_at=paid),
        )
        return paid
    elif name == "settle":
        # a recovery: the activity cost less than the advance paid
        overpaid = status == S.RECOVERY_PENDING or recovered
        spent = (advance * Decimal("0.6")).quantize(Decimal("0.01")) if overpaid else granted
        balance = spent - advance
        chunk.add(
            Settlement(
                dossier_id=d.pk,
                accepted_at=at,
                accepted_by=ctx.cast.finance,
                final_grant=spent,
                advance=advance,
                balance=balance,
                breakdown={"grant": str(granted), "spent": str(spent)},
                lines=[],
                rules_version=1,
            )
        )
        if balance > 0:
            paid = at + dt.timedelta(days=7)
            order = _order(chunk, ctx, d, OrderKind.BALANCE, balance, OrderState.PAID, at, paid_at=paid)
            _pay(chunk, ctx, d, campaign, order)
        elif recovered:
            paid = at + dt.timedelta(days=40)
            final = at + dt.timedelta(days=31)
            order = _order(
                chunk, ctx, d, OrderKind.RECOVERY, -balance, OrderState.PAID, at, final_at=final, paid_at=paid
            )
            payload = {"reference": order.reference, "dossier": d.reference}
            obj = ("payments.paymentorder", order.pk)
            chunk.event("payment_order_paid", paid, ctx.cast.finance, Role.FINANCE, obj, payload)
            return paid
        elif balance < 0:
            _order(
                chunk,
                ctx,
                d,
                OrderKind.RECOVERY,
                -balance,
                OrderState.CONTRADICTORY,
                at,
                answer_due=at + dt.timedelta(days=30),
            )
    return at
