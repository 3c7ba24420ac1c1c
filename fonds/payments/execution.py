"""What happens to a batch once its file left: sent to the bank, executed, partly returned.

The dossier follows when a transfer is paid: ``pay_advance`` for an advance, ``settle`` for a
balance — only if the dossier is where the payment flow expects it, so a re-issued order paid
after a bank return never fires them twice.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction

from fonds import clock
from fonds.accounts.roles import Role
from fonds.audit import chain as audit
from fonds.dossiers.models import Dossier
from fonds.suivi.report_dates import TOO_EARLY

from .batches import check_bank_unchanged
from .common import (
    PaymentRefused,
    audit_reference,
    fire_transition,
    lock_batch,
    lock_order,
    move_dossier,
    move_orders,
    order_payload,
    refresh_caller,
    require_role,
)
from .models import (
    Batch,
    BatchItem,
    BatchState,
    ItemOutcome,
    OrderKind,
    OrderState,
    PaymentOrder,
    Settlement,
    mask_iban,
)

#: ISO 20022 / EPC return reason codes the bank sends back for a credit transfer (French labels)
RETURN_REASONS: dict[str, str] = {
    "AC01": "Numéro de compte (IBAN) incorrect",
    "AC04": "Compte clôturé",
    "AC06": "Compte bloqué",
    "AG01": "Opération interdite sur ce type de compte",
    "AG02": "Code opération invalide",
    "AM04": "Provision insuffisante",
    "AM05": "Opération en double",
    "BE04": "Adresse du créancier manquante ou incorrecte",
    "FF01": "Format de fichier invalide",
    "MD07": "Titulaire du compte décédé",
    "MS02": "Motif non communiqué (à l'initiative du client)",
    "MS03": "Motif non communiqué (à l'initiative de la banque)",
    "RC01": "BIC incorrect",
    "RR01": "Compte ou identification du donneur d'ordre manquant",
    "RR02": "Nom ou adresse du donneur d'ordre manquant",
    "RR03": "Nom ou adresse du bénéficiaire manquant",
    "RR04": "Motif réglementaire",
}


def mark_batch_sent(batch, *, by) -> Batch:
    """Finance records that the file was transmitted to the bank: the batch and its orders are ``sent``.

    Refused when a creditor's bank details changed since the batch was built (as ``export_batch``).
    """
    role = require_role(by, Role.FINANCE)
    with transaction.atomic():
        locked = lock_batch(
            batch,
            state=BatchState.READY,
            refusal="Le lot {reference} est « {state} » : il ne peut pas être transmis.",
        )
        check_bank_unchanged(locked)
        locked.mark_sent()
        locked.sent_by = by
        locked.save()
        ids = list(locked.items.filter(live=True).values_list("order_id", flat=True))
        if move_orders(ids, OrderState.IN_BATCH, OrderState.SENT) != len(ids):
            raise PaymentRefused("conflict", "L'état des ordres du lot a changé : rechargez la page.")
        audit_reference(
            "batch_sent",
            locked,
            by=by,
            role=role,
            payload={"file_sha256": locked.file_sha256, "count": len(ids)},
        )
        return refresh_caller(batch, locked)


def record_return(batch, order, *, by, reason_code: str) -> PaymentOrder:
    """The bank returned one transfer of a transmitted batch (ISO reason code, e.g. ``AC04``).

    Before the execution is recorded the order goes ``sent → returned``. After it (a return often
    comes days later) the paid order goes ``paid → returned`` and its batch item is marked returned,
    so that the re-issued transfer can be paid; the batch stays executed and the dossier's
    ``pay_advance`` or ``settle`` is not reverted: it has no reverse, and the porteur may already have
    acted on it. The money owed stays on the order until ``reissue_order``.
    """
    role = require_role(by, Role.FINANCE)
    code = (reason_code or "").strip().upper()
    if code not in RETURN_REASONS:
        raise PaymentRefused(
            "condition",
            "Code motif de rejet inconnu : indiquez le code à 4 caractères transmis par la banque (par "
            "exemple AC04).",
            rules=["reason_code"],
        )
    with transaction.atomic():
        locked_batch = lock_batch(batch)
        order_pk = getattr(order, "pk", order)
        item = BatchItem.objects.select_for_update().filter(batch=locked_batch, order_id=order_pk).first()
        if item is None:
            raise PaymentRefused(
                "condition",
                f"Cet ordre ne fait pas partie du lot {locked_batch.reference} : rejet refusé.",
                rules=["order_not_in_batch"],
            )
        late = locked_batch.state == BatchState.EXECUTED and item.outcome == ItemOutcome.PAID
        if not late and (locked_batch.state != BatchState.SENT or item.outcome != ItemOutcome.PENDING):
            if item.outcome == ItemOutcome.RETURNED:
                raise PaymentRefused("status", "Le rejet de ce virement est déjà enregistré.")
            raise PaymentRefused("status", "Ce virement n'est pas en attente d'exécution : rejet impossible.")
        locked = lock_order(order_pk)
        source = fire_transition(locked, "bank_return_after_payment" if late else "bank_return", code=code)
        locked.save()
        item.live = False
        item.outcome = ItemOutcome.RETURNED
        item.return_code = code
        item.save(update_fields=["live", "outcome", "return_code"])
        extra = {
            "from": source,
            "batch": locked_batch.reference,
            "reason_code": code,
            "reason": RETURN_REASONS[code],
            "iban_masked": mask_iban(item.creditor_iban),
        }
        if late:
            extra["after_execution"] = True
            extra["dossier_status_kept"] = (
                Dossier.objects.filter(pk=locked.dossier_id).values_list("status", flat=True).first()
            )
        audit.append(
            "payment_returned", actor=by, role=role, obj=locked, payload=order_payload(locked, **extra)
        )
        return refresh_caller(order, locked)


def execution_too_early(batch, today: dt.date | None = None) -> str:
    """Why the batch cannot be recorded as executed today (its requested execution date has not
    come: the bank has not executed it), or "" (French)."""
    today = today or clock.today()
    if today >= batch.execution_date:
        return ""
    day = f"{batch.execution_date:%d/%m/%Y}"
    return (
        f"Le lot {batch.reference} ne peut pas être enregistré comme exécuté avant sa date d'exécution "
        "demandée, "
        f"le {day} : la banque ne l'a pas encore exécuté. L'exécution pourra être enregistrée à partir "
        f"du {day}."
    )


def record_execution(batch, *, by) -> Batch:
    """The bank executed the batch: every transfer not returned is ``paid`` (at most once: DB constraint).

    Refused (``too_early``, 409) before the batch's requested execution date (``clock.today()``).
    The dossiers follow: ``pay_advance`` for a paid advance, ``settle`` (the accepted balance) for a
    paid balance — only when the dossier is where the payment flow expects it.
    """
    role = require_role(by, Role.FINANCE)
    with transaction.atomic():
        locked = lock_batch(
            batch,
            state=BatchState.SENT,
            refusal="Le lot {reference} est « {state} » : l'exécution ne peut pas être enregistrée.",
        )
        too_early = execution_too_early(locked)
        if too_early:
            raise PaymentRefused(TOO_EARLY, too_early, rules=["execution_date"])
        items = list(
            locked.items.select_for_update().filter(outcome=ItemOutcome.PENDING).order_by("position")
        )
        orders = {
            o.pk: o
            for o in PaymentOrder.objects.select_for_update(of=("self",))
            .select_related("dossier")
            .filter(pk__in=[i.order_id for i in items])
        }
        now = clock.now()
        paid = []
        for item in items:
            order = orders[item.order_id]
            fire_transition(order, "pay")
            order.paid_at = now
            order.save()
            item.outcome = ItemOutcome.PAID
            item.live = False
            paid.append(order)
        try:
            with transaction.atomic():
                BatchItem.objects.bulk_update(items, ["outcome", "live"], batch_size=500)
        except IntegrityError as exc:
            raise PaymentRefused(
                "conflict", "Un de ces ordres est déjà enregistré comme payé : exécution refusée."
            ) from exc
        locked.mark_executed()
        locked.save()
        audit_reference(
            "batch_executed",
            locked,
            by=by,
            role=role,
            payload={
                "execution_date": locked.execution_date.isoformat(),
                "executed_at": locked.executed_at,
                "paid": [o.reference for o in paid],
                "total_paid": sum((o.amount for o in paid), Decimal("0.00")),
            },
        )
        audit.append_many(
            dict(
                action="payment_order_paid",
                actor=by,
                role=role,
                obj=o,
                payload=order_payload(o, batch=locked.reference),
            )
            for o in paid
        )
        for order in paid:
            if order.kind == OrderKind.ADVANCE:
                move_dossier(order.dossier, "pay_advance", by, expected="agreement_signed")
            elif order.kind == OrderKind.BALANCE:
                settlement = Settlement.objects.filter(dossier_id=order.dossier_id).first()
                balance = settlement.balance if settlement else order.amount
                move_dossier(
                    order.dossier, "settle", by, data={"balance": str(balance)}, expected="report_submitted"
                )
        return refresh_caller(batch, locked)
