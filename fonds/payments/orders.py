"""Payment orders: creation (the advance after the signed agreement), cancellation and the re-issue
of a returned transfer once the bank details are corrected and re-certified."""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction

from fonds.accounts.roles import Role
from fonds.audit import chain as audit
from fonds.suivi.balance import advance_amount

from .bank import bank_details_for
from .common import (
    PaymentRefused,
    acting_role,
    close_recovery,
    json_safe,
    lock_order,
    move_dossier,
    order_payload,
    parse_amount,
    refresh_caller,
    require_role,
    required_motivation,
    transition_audited,
)
from .models import ItemOutcome, OrderKind, OrderState, PaymentOrder, mask_iban


def _next_reference(dossier, kind: str) -> str:
    code = {OrderKind.ADVANCE: "AV", OrderKind.BALANCE: "SO", OrderKind.RECOVERY: "RV"}[kind]
    n = PaymentOrder.objects.filter(dossier=dossier, kind=kind).count() + 1
    return f"{dossier.reference}-{code}{n}"


def create_order(
    dossier,
    kind: str,
    amount: Decimal,
    *,
    by,
    role: str,
    breakdown: dict | None = None,
    state: str | None = None,
    **fields,
) -> PaymentOrder:
    amount = parse_amount(amount)
    if state is None:
        bank = bank_details_for(dossier.commune_id)
        state = OrderState.READY if bank is not None and bank.is_certified else OrderState.TO_CERTIFY
    rules = dossier.rules
    try:
        with transaction.atomic():
            order = PaymentOrder.objects.create(
                reference=_next_reference(dossier, kind),
                dossier=dossier,
                kind=kind,
                amount=amount,
                state=state,
                created_by=by,
                rules_version=rules.version,
                breakdown=json_safe(breakdown or {}),
                **fields,
            )
    except IntegrityError as exc:
        raise PaymentRefused(
            "conflict",
            f"Un ordre « {OrderKind(kind).label} » existe déjà pour le dossier {dossier.reference}.",
        ) from exc
    order.dossier = dossier
    audit.append(
        "payment_order_created",
        actor=by,
        role=role,
        obj=order,
        payload=order_payload(order, rules_version=rules.version, breakdown=breakdown or {}),
    )
    return order


def create_advance_order(dossier, *, by=None) -> PaymentOrder | None:
    """The advance order: ``params["payment"]["advance_pct"]`` % of the approved amount (down to the cent).

    Run by the after-hook of ``accept_agreement`` (inside that transition's transaction); idempotent:
    an existing live advance order is returned unchanged. State ``ready`` if the commune's bank
    details are certified, else ``to_certify``. None when no advance is due (amount 0).
    """
    existing = (
        PaymentOrder.objects.filter(dossier=dossier, kind=OrderKind.ADVANCE)
        .exclude(state=OrderState.CANCELLED)
        .first()
    )
    if existing is not None:
        return existing
    params = dossier.rules.params
    pct = params["payment"]["advance_pct"]
    amount = advance_amount(dossier.approved_amount or 0, pct)
    if amount <= 0:
        return None  # no advance due (advance_pct 0 in the campaign's rules): the balance pays everything
    breakdown = {"approved": dossier.approved_amount, "advance_pct": str(pct), "advance": amount}
    with transaction.atomic():
        return create_order(
            dossier, OrderKind.ADVANCE, amount, by=by, role=acting_role(by), breakdown=breakdown
        )


def cancel_order(order, *, by, motivation: str) -> PaymentOrder:
    """Finance cancels an order not yet in a batch (motivated, final).

    A cancelled recovery (finance accepts the mayor's answer) closes the dossier (``recover``):
    nothing is left to recover. A cancelled advance lets the dossier go on without advance
    (``pay_advance`` with no money paid: the final report is then due, the balance deducts nothing).
    """
    role = require_role(by, Role.FINANCE)
    motivation = required_motivation(motivation, "L'annulation d'un ordre exige une motivation écrite.")
    with transaction.atomic():
        locked = lock_order(order)
        transition_audited(
            locked, "cancel", "payment_order_cancelled", by=by, role=role, motivation=motivation
        )
        if locked.kind == OrderKind.RECOVERY:
            close_recovery(locked, by, f"Reversement {locked.reference} annulé : {motivation}")
        if locked.kind == OrderKind.ADVANCE:
            move_dossier(
                locked.dossier,
                "pay_advance",
                by,
                motivation=f"Avance {locked.reference} annulée, sans versement : {motivation}",
                expected="agreement_signed",
            )
        return refresh_caller(order, locked)


def reissue_order(order, *, by) -> PaymentOrder:
    """A returned transfer goes back to ``ready``, once the bank details are corrected and re-certified.

    "Corrected": the certified account (IBAN, BIC or holder) differs from the one the returned
    transfer was sent to — a change of the SIRET or of the RIB alone is not a correction.
    """
    role = require_role(by, Role.FINANCE)
    with transaction.atomic():
        locked = lock_order(order)
        if locked.state != OrderState.RETURNED:
            raise PaymentRefused(
                "status",
                f"Seul un virement rejeté peut être réémis ; l'ordre {locked.reference} est « "
                f"{locked.get_state_display()} ».",
            )
        bank = bank_details_for(locked.dossier.commune_id)
        last = locked.batch_items.filter(outcome=ItemOutcome.RETURNED).order_by("-pk").first()
        if bank is None or not bank.is_certified:
            raise PaymentRefused(
                "condition",
                "Les coordonnées bancaires de la commune doivent être corrigées puis certifiées avant "
                "de réémettre le virement.",
                rules=["bank_details_not_certified"],
            )
        if last is not None and (
            last.bank_fingerprint == bank.certified_fingerprint
            or (last.creditor_iban, last.creditor_bic, last.creditor_name)
            == (bank.iban, bank.bic, bank.holder)
        ):
            raise PaymentRefused(
                "condition",
                "Les coordonnées bancaires n'ont pas changé depuis le rejet : faites-les corriger par "
                "la commune puis certifiez-les.",
                rules=["bank_details_unchanged"],
            )
        transition_audited(
            locked,
            "reissue",
            "payment_order_reissued",
            by=by,
            role=role,
            payload={"bank_version": bank.version, "iban_masked": mask_iban(bank.iban)},
        )
        return refresh_caller(order, locked)
