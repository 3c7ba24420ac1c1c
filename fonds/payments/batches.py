"""Batches of SEPA credit transfers: built from ready orders, exported as a validated
pain.001.001.03 file, or cancelled before they leave (``fonds.payments.execution``: what the bank
does with a sent batch).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction

from fonds import clock
from fonds.accounts.roles import Role
from fonds.dossiers.models import Dossier
from fonds.ui.selection import filter_by_fields

from .common import (
    PaymentRefused,
    acting_role,
    audit_reference,
    fire_transition,
    lock_batch,
    move_orders,
    refresh_caller,
    require_role,
)
from .models import (
    OUTGOING_KINDS,
    BankDetails,
    Batch,
    BatchItem,
    BatchState,
    ItemOutcome,
    OrderState,
    PaymentOrder,
)
from .sepa import batch_xml


@dataclass
class BuildResult:
    batch: Batch
    #: orders asked for but left out, with the reason (French): ``[(order_id, reason), ...]``
    excluded: list[tuple[int, str]] = field(default_factory=list)


def payable_orders():
    """Orders a batch may take (a queryset): ready, outgoing, of a commune whose bank details are
    certified."""
    return PaymentOrder.objects.filter(
        state=OrderState.READY,
        kind__in=OUTGOING_KINDS,
        dossier__commune__bank_details__certified_at__isnull=False,
    )


def _filtered(filters: dict | None):
    qs = PaymentOrder.objects.filter(state=OrderState.READY, kind__in=OUTGOING_KINDS)
    return filter_by_fields(
        qs,
        filters or {},
        filled={
            "kind": "kind",
            "campaign": "dossier__campaign_id",
            "commune": "dossier__commune_id",
            "created_before": "created_at__lt",
        },
    )


def next_business_day(day: dt.date) -> dt.date:
    day += dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def debtor() -> dict:
    return {
        "name": settings.FJJ_DEBTOR_NAME,
        "iban": settings.FJJ_DEBTOR_IBAN.replace(" ", ""),
        "bic": settings.FJJ_DEBTOR_BIC,
    }


def remittance_text(order: PaymentOrder, dossier_reference: str | None = None) -> str:
    """The unstructured remittance text of the transfer (≤ 140 characters): fund, dossier number,
    kind, order."""
    reference = dossier_reference or order.dossier.reference
    return f"Fonds Jumelages Jeunesse dossier {reference} {order.get_kind_display()} {order.reference}"[:140]


def build_batch(
    *, by, order_ids=None, filters: dict | None = None, execution_date: dt.date | None = None
) -> BuildResult:
    """Put ready orders in a new batch and produce its validated SEPA file (pain.001.001.03).

    ``order_ids`` (a selection) or ``filters`` (``kind``, ``campaign``, ``commune``,
    ``created_before``). Only ready outgoing orders of communes with certified bank details are
    taken; the others asked for come back in ``excluded``. ``SKIP LOCKED`` keeps two finance users
    from taking the same order (the index ``payments_order_in_one_live_batch`` is the last guard).
    An empty batch is refused.
    """
    role = require_role(by, Role.FINANCE)
    if order_ids is None and filters is None:
        raise PaymentRefused(
            "condition", "Sélectionnez les ordres à mettre dans le lot.", rules=["empty_batch"]
        )
    wanted = None
    if order_ids is not None:
        try:
            wanted = sorted({int(i) for i in order_ids})
        except (TypeError, ValueError):
            raise PaymentRefused("condition", "Sélection d'ordres invalide.") from None
    today = clock.today()
    execution_date = execution_date or next_business_day(today)
    if execution_date < today:
        raise PaymentRefused(
            "condition",
            "La date d'exécution demandée ne peut pas être dans le passé.",
            rules=["execution_date"],
        )
    with transaction.atomic():
        qs = _filtered(filters)
        if wanted is not None:
            qs = qs.filter(pk__in=wanted)
        lock = (
            {"skip_locked": True, "of": ("self",)}
            if connection.features.has_select_for_update_skip_locked
            else {}
        )
        orders = list(qs.select_for_update(**lock).order_by("pk"))
        excluded: list[tuple[int, str]] = []
        found = {o.pk for o in orders}
        if wanted is not None:
            for pk in wanted:
                if pk not in found:
                    excluded.append(
                        (
                            pk,
                            "ordre non prêt à payer (déjà dans un lot, payé, annulé ou en attente de "
                            "certification)",
                        )
                    )
        if orders:
            dossier_ids = {o.dossier_id for o in orders}
            # (reference, commune) only: full Dossier instances (FSM mixins) would cost ~0.2 ms each
            dossiers = {
                pk: (ref, commune)
                for pk, ref, commune in Dossier.objects.filter(pk__in=dossier_ids).values_list(
                    "pk", "reference", "commune_id"
                )
            }
            banks = {
                b.commune_id: b
                for b in BankDetails.objects.filter(commune_id__in={c for _, c in dossiers.values()})
            }
        taken = []
        for order in orders:
            bank = banks.get(dossiers[order.dossier_id][1])
            if bank is None or not bank.is_certified:
                excluded.append((order.pk, "coordonnées bancaires de la commune non certifiées"))
                continue
            taken.append((order, bank))
        if not taken:
            raise PaymentRefused(
                "condition",
                "Le lot serait vide : aucun ordre prêt à payer avec des coordonnées bancaires "
                "certifiées dans la sélection.",
                rules=["empty_batch"],
            )
        now = clock.now().replace(microsecond=0)
        token = secrets.token_hex(4).upper()
        d = debtor()
        batch = Batch.objects.create(
            reference=f"LOT-{now:%Y%m%d-%H%M%S}-{token}",
            message_id=f"FJJ{now:%Y%m%d%H%M%S}{token}",
            created_at=now,
            created_by=by,
            execution_date=execution_date,
            debtor_name=d["name"],
            debtor_iban=d["iban"],
            debtor_bic=d["bic"],
            count=len(taken),
            total=sum((o.amount for o, _ in taken), Decimal("0.00")),
        )
        items = []
        for position, (order, bank) in enumerate(taken, start=1):
            fire_transition(order, "add_to_batch")
            items.append(
                BatchItem(
                    batch=batch,
                    order=order,
                    position=position,
                    amount=order.amount,
                    end_to_end_id=order.reference,
                    creditor_name=bank.holder,
                    creditor_iban=bank.iban,
                    creditor_bic=bank.bic,
                    bank_fingerprint=bank.certified_fingerprint,
                    remittance=remittance_text(order, dossiers[order.dossier_id][0]),
                )
            )
        ids = [o.pk for o, _ in taken]
        if move_orders(ids, OrderState.READY, OrderState.IN_BATCH) != len(ids):
            raise PaymentRefused(
                "conflict", "Des ordres viennent d'être pris par un autre lot : recommencez."
            )
        try:
            with transaction.atomic():
                BatchItem.objects.bulk_create(items, batch_size=500)
        except IntegrityError as exc:
            raise PaymentRefused(
                "conflict", "Des ordres viennent d'être pris par un autre lot : recommencez."
            ) from exc
        data = batch_xml(batch, items)
        batch.file_sha256 = hashlib.sha256(data).hexdigest()
        batch.save(update_fields=["file_sha256"])
        audit_reference(
            "batch_built",
            batch,
            by=by,
            role=role,
            payload={
                "message_id": batch.message_id,
                "count": batch.count,
                "total": batch.total,
                "execution_date": batch.execution_date.isoformat(),
                "file_sha256": batch.file_sha256,
                "orders": [o.reference for o, _ in taken],
                "excluded": [pk for pk, _ in excluded],
            },
        )
    return BuildResult(batch=batch, excluded=excluded)


def check_bank_unchanged(batch: Batch) -> None:
    """Refuse to offer or send a batch whose creditors' bank details changed since it was built."""
    rows = list(
        batch.items.filter(live=True).values_list(
            "order__dossier__commune_id", "bank_fingerprint", "end_to_end_id"
        )
    )
    banks = {b.commune_id: b for b in BankDetails.objects.filter(commune_id__in={c for c, _, _ in rows})}
    changed = [
        ref
        for commune, fingerprint, ref in rows
        if commune not in banks
        or not banks[commune].is_certified
        or banks[commune].certified_fingerprint != fingerprint
    ]
    if changed:
        shown = ", ".join(changed[:5]) + (" …" if len(changed) > 5 else "")
        raise PaymentRefused(
            "condition",
            f"Les coordonnées bancaires ont changé depuis la constitution du lot pour {len(changed)} "
            f"ordre(s) ({shown}) : "
            "annulez le lot, faites certifier les nouvelles coordonnées, puis constituez un nouveau lot.",
            rules=["bank_details_changed"],
        )


def export_batch(batch, *, by=None) -> bytes:
    """The batch's SEPA file, validated against the XSD and byte-identical on every call (audited).

    Refused for a batch neither ready nor sent, for a ready batch whose creditors' bank details
    changed since it was built (the file would pay the old account), and when the bytes differ from
    the SHA-256 recorded when the batch was built.
    """
    pk = getattr(batch, "pk", batch)
    with transaction.atomic():
        locked = lock_batch(pk)
        if not locked.exportable:
            raise PaymentRefused(
                "status",
                f"Le lot {locked.reference} n'est pas prêt : il est « {locked.get_state_display()} ».",
            )
        if locked.state == BatchState.READY:
            check_bank_unchanged(locked)
        items = list(locked.items.order_by("position"))
        data = batch_xml(locked, items)
        digest = hashlib.sha256(data).hexdigest()
        if locked.file_sha256 and digest != locked.file_sha256:
            raise PaymentRefused(
                "conflict",
                "Le fichier regénéré ne correspond pas à l'empreinte enregistrée à la constitution du "
                "lot : export bloqué.",
            )
        audit_reference(
            "batch_exported",
            locked,
            by=by,
            role=acting_role(by),
            payload={"file_sha256": digest, "count": locked.count, "total": locked.total},
        )
    return data


def batch_file_name(batch) -> str:
    return f"{batch.reference}.xml"


def cancel_batch(batch, *, by) -> Batch:
    """A batch not yet transmitted is cancelled: its orders go back to ``ready`` (free for another batch)."""
    role = require_role(by, Role.FINANCE)
    with transaction.atomic():
        locked = lock_batch(
            batch,
            state=BatchState.READY,
            refusal="Le lot {reference} a été transmis à la banque : il ne peut plus être annulé.",
        )
        locked.cancel()
        locked.save()
        ids = list(locked.items.filter(live=True).values_list("order_id", flat=True))
        locked.items.filter(live=True).update(live=False, outcome=ItemOutcome.REMOVED)
        move_orders(ids, OrderState.IN_BATCH, OrderState.READY)
        audit_reference("batch_cancelled", locked, by=by, role=role, payload={"orders_released": len(ids)})
        return refresh_caller(batch, locked)
