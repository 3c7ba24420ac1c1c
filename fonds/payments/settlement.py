"""The final report's acceptance by finance: the balance is computed once (``Settlement``) and acted
upon — a balance order, the dossier settled at once, or a recovery order — and a cancelled balance
order can be re-issued for the accepted amount.

The dossier follows through ``fonds.dossiers.services.perform``: ``settle`` (``data={"balance":
...}``) when nothing is due or a recovery starts; a balance order settles it when it is paid.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from fonds import clock
from fonds.accounts.roles import Role
from fonds.dossiers.models import Dossier
from fonds.dossiers.states import Status
from fonds.ops import outbox
from fonds.suivi.balance import balance_for_report
from fonds.suivi.models import FinalReport
from fonds.suivi.report_dates import refuse_on_dates

from .common import (
    CENT,
    PaymentRefused,
    audit_reference,
    json_safe,
    move_dossier,
    require_role,
    required_motivation,
)
from .models import OrderKind, OrderState, PaymentOrder, Settlement
from .orders import create_order


def advance_paid_amount(dossier) -> Decimal | None:
    """What the fund actually paid as advance (paid advance orders), or None if no advance order was
    ever issued."""
    orders = PaymentOrder.objects.filter(dossier=dossier, kind=OrderKind.ADVANCE)
    if not orders.exists():
        return None
    return (orders.filter(state=OrderState.PAID).aggregate(s=Sum("amount"))["s"] or Decimal("0")).quantize(
        CENT
    )


def dossier_balance(dossier, report=None):
    """The ``BalanceBreakdown`` of a dossier from its final report (``fonds.suivi.balance``).

    The advance deducted is the advance actually paid (paid advance orders; 0 when the advance order
    was cancelled); a dossier with no advance order at all (paid outside this module) falls back to
    ``balance_for_report``'s reading of its status.
    """
    report = report or FinalReport.objects.prefetch_related("lines").get(dossier=dossier)
    return balance_for_report(report, dossier, advance=advance_paid_amount(dossier))


def _lock_dossier(dossier) -> Dossier:
    """The dossier (a pk or an instance), locked, with its campaign and commune."""
    pk = getattr(dossier, "pk", dossier)
    locked = Dossier.objects.select_for_update().select_related("campaign", "commune").filter(pk=pk).first()
    if locked is None:
        raise PaymentRefused("not_found", "Dossier introuvable.")
    return locked


def accept_final_report(dossier, by) -> Settlement:
    """Finance accepts the submitted final report; the balance is computed once and acted upon.

    balance > 0: a balance order (the dossier is settled when it is paid); 0: ``settle`` at once;
    < 0: ``settle`` (``recovery_pending``) and a recovery order in its contradictory step, the mayor
    emailed. Refused unless the dossier is ``report_submitted``, once only, while the advance is
    neither paid nor cancelled, and (``too_early``, 409) before the project's end.
    """
    role = require_role(by, Role.FINANCE)
    with transaction.atomic():
        locked = _lock_dossier(dossier)
        if locked.status != Status.REPORT_SUBMITTED:
            raise PaymentRefused(
                "status",
                f"Le rapport final ne peut être validé : le dossier est « {locked.get_status_display()} ».",
            )
        if Settlement.objects.filter(dossier=locked).exists():
            raise PaymentRefused("status", "Le rapport final de ce dossier est déjà validé.")
        report = (
            FinalReport.objects.prefetch_related("lines")
            .filter(dossier=locked, submitted_at__isnull=False)
            .first()
        )
        if report is None:
            raise PaymentRefused("condition", "Aucun rapport final déposé pour ce dossier.")
        refuse_on_dates(
            locked, report, done="validé", exception=PaymentRefused
        )  # not before the project's end
        pending = (
            PaymentOrder.objects.filter(dossier=locked, kind=OrderKind.ADVANCE)
            .exclude(state__in=[OrderState.PAID, OrderState.CANCELLED])
            .first()
        )
        if pending is not None:
            raise PaymentRefused(
                "condition",
                f"L'avance ({pending.reference}) n'est pas encore payée ni annulée : le solde ne peut "
                "pas être calculé.",
                rules=["advance_pending"],
            )
        bd = dossier_balance(locked, report)
        rules = locked.rules
        settlement = Settlement.objects.create(
            dossier=locked,
            accepted_by=by,
            final_grant=bd.final_grant,
            advance=bd.advance,
            balance=bd.balance,
            breakdown=json_safe(bd.as_dict()),
            lines=bd.lines,
            rules_version=rules.version,
        )
        audit_reference(
            "final_report_accepted",
            locked,
            by=by,
            role=role,
            payload={
                "report": report.pk,
                "balance": bd.balance,
                "breakdown": json_safe(bd.as_dict()),
                "rules_version": rules.version,
            },
        )
        if bd.balance > 0:
            create_order(
                locked, OrderKind.BALANCE, bd.balance, by=by, role=role, breakdown=json_safe(bd.as_dict())
            )
        elif bd.balance == 0:
            move_dossier(locked, "settle", by, data={"balance": "0.00"})
        else:
            move_dossier(locked, "settle", by, data={"balance": str(bd.balance)})
            days = int(locked.rules.params["deadlines"]["recovery_answer_days"])
            notified = clock.now()  # the notice's date; the answer period runs from it
            order = create_order(
                locked,
                OrderKind.RECOVERY,
                -bd.balance,
                by=by,
                role=role,
                breakdown=json_safe(bd.as_dict()),
                state=OrderState.CONTRADICTORY,
                created_at=notified,
                answer_due=notified + dt.timedelta(days=days),
            )
            outbox.enqueue("fonds.payments.tasks.notify_recovery", order.pk)
    return settlement


def reissue_balance_order(dossier, *, by, motivation: str) -> PaymentOrder:
    """A new balance order for the accepted balance once the previous one was cancelled (else the
    dossier would stay ``report_submitted``: only a paid balance order settles it).

    The acceptance (``Settlement``) stands as the audited decision; the new order (``…-SO2``) is
    ``ready`` or ``to_certify`` by the bank details. Refused unless every balance order of the
    dossier is cancelled and the accepted balance is positive; motivation required.
    """
    role = require_role(by, Role.FINANCE)
    motivation = required_motivation(
        motivation, "La réémission de l'ordre de solde exige une motivation écrite."
    )
    with transaction.atomic():
        locked = _lock_dossier(dossier)
        settlement = Settlement.objects.filter(dossier=locked).first()
        if locked.status != Status.REPORT_SUBMITTED or settlement is None:
            raise PaymentRefused(
                "status",
                f"Aucun solde à réémettre : le dossier est « {locked.get_status_display()} »"
                + ("" if settlement else " et son rapport final n'est pas validé")
                + ".",
            )
        if settlement.balance <= 0:
            raise PaymentRefused(
                "condition",
                "Le solde validé de ce dossier n'est pas positif : il n'y a pas d'ordre de solde à émettre.",
            )
        orders = list(
            PaymentOrder.objects.select_for_update(of=("self",)).filter(
                dossier=locked, kind=OrderKind.BALANCE
            )
        )
        live = next((o for o in orders if o.state != OrderState.CANCELLED), None)
        if live is not None:
            raise PaymentRefused(
                "status",
                f"L'ordre de solde {live.reference} n'est pas annulé (« {live.get_state_display()} ») : "
                "il n'y a rien à réémettre.",
            )
        order = create_order(
            locked, OrderKind.BALANCE, settlement.balance, by=by, role=role, breakdown=settlement.breakdown
        )
        audit_reference(
            "balance_order_reissued",
            locked,
            by=by,
            role=role,
            payload={
                "order": order.reference,
                "amount": order.amount,
                "cancelled_orders": [o.reference for o in orders],
                "motivation": motivation,
                "settlement_rules_version": settlement.rules_version,
            },
        )
        return order


def can_reissue_balance(dossier, settlement=None) -> bool:
    """Whether ``reissue_balance_order`` would take this dossier (for the UI's button)."""
    settlement = settlement if settlement is not None else Settlement.objects.filter(dossier=dossier).first()
    return (
        dossier.status == Status.REPORT_SUBMITTED
        and settlement is not None
        and settlement.balance > 0
        and PaymentOrder.objects.filter(dossier=dossier, kind=OrderKind.BALANCE).exists()
        and not PaymentOrder.objects.filter(dossier=dossier, kind=OrderKind.BALANCE)
        .exclude(state=OrderState.CANCELLED)
        .exists()
    )
