"""A bank return recorded after the batch's execution; the AM04 reason code; re-issuing a
cancelled balance order."""

from decimal import Decimal

import pytest

from fonds.audit.models import AuditEvent
from fonds.dossiers.states import Status
from fonds.payments.bank import certify_bank_details
from fonds.payments.batches import build_batch
from fonds.payments.common import PaymentRefused
from fonds.payments.execution import RETURN_REASONS, mark_batch_sent, record_return
from fonds.payments.models import BatchItem, ItemOutcome, OrderKind, OrderState, PaymentOrder
from fonds.payments.orders import cancel_order, reissue_order
from fonds.payments.settlement import (
    accept_final_report,
    advance_paid_amount,
    can_reissue_balance,
    reissue_balance_order,
)

from .conftest import (
    BIC_OTHER,
    IBAN_OTHER,
    bank_given,
    certified_bank,
    pay_through_batch,
    report_submitted,
    signed,
)

pytestmark = pytest.mark.django_db
OS = OrderState
D = Decimal


def test_return_reason_codes_cover_the_iso_list_with_french_labels():
    expected = {
        "AC01",
        "AC04",
        "AC06",
        "AG01",
        "AM04",
        "AM05",
        "BE04",
        "MD07",
        "MS02",
        "MS03",
        "RC01",
        "RR01",
        "RR02",
        "RR03",
        "RR04",
        "FF01",
    }
    assert expected <= set(RETURN_REASONS)
    assert RETURN_REASONS["AM04"] == "Provision insuffisante"
    assert all(len(code) == 4 and label and label[0].isupper() for code, label in RETURN_REASONS.items())


def test_return_with_am04_recorded(cast):
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier)
    order = PaymentOrder.objects.get(dossier=dossier)
    batch = build_batch(by=cast.finance, order_ids=[order.pk]).batch
    mark_batch_sent(batch, by=cast.finance)
    returned = record_return(batch, order, by=cast.finance, reason_code="am04")
    assert returned.state == OS.RETURNED and returned.return_code == "AM04"
    assert (
        AuditEvent.objects.get(action="payment_returned").data["payload"]["reason"]
        == "Provision insuffisante"
    )


def fix_bank(cast, dossier):
    bank_given(cast, dossier, iban=IBAN_OTHER, bic=BIC_OTHER)
    certify_bank_details(cast.commune, by=cast.finance)


def test_advance_returned_after_execution_keeps_the_dossier_and_is_paid_again_without_a_second_pay_advance(
    cast,
):
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier)
    order = PaymentOrder.objects.get(dossier=dossier)
    batch = pay_through_batch(cast, order)
    dossier.refresh_from_db()
    assert order.state == OS.PAID and dossier.status == Status.ADVANCE_PAID and batch.state == "executed"
    returned = record_return(batch, order, by=cast.finance, reason_code="AC04")
    assert returned.state == OS.RETURNED and returned.paid_at is None and returned.return_code == "AC04"
    item = BatchItem.objects.get(order=order)
    assert item.outcome == ItemOutcome.RETURNED and item.return_code == "AC04"
    batch.refresh_from_db()
    dossier.refresh_from_db()
    assert (
        batch.state == "executed" and dossier.status == Status.ADVANCE_PAID
    )  # not reverted (no reverse transition)
    payload = AuditEvent.objects.get(action="payment_returned").data["payload"]
    assert (
        payload["from"] == OS.PAID
        and payload["after_execution"] is True
        and payload["dossier_status_kept"] == Status.ADVANCE_PAID
    )
    assert advance_paid_amount(dossier) == D("0.00")  # the money did not reach the commune
    with pytest.raises(PaymentRefused, match="déjà enregistré"):
        record_return(batch, order, by=cast.finance, reason_code="AC04")
    fix_bank(cast, dossier)
    reissue_order(order, by=cast.finance)
    second = pay_through_batch(cast, order)
    assert order.state == OS.PAID and second.pk != batch.pk
    assert AuditEvent.objects.filter(action="pay_advance", object_id=str(dossier.pk)).count() == 1
    assert BatchItem.objects.filter(order=order, outcome=ItemOutcome.PAID).count() == 1
    assert advance_paid_amount(dossier) == order.amount


def test_balance_returned_after_execution_paid_again_without_a_second_settle(cast):
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier)
    pay_through_batch(cast, PaymentOrder.objects.get(dossier=dossier, kind=OrderKind.ADVANCE))
    dossier = report_submitted(cast, dossier)
    accept_final_report(dossier, cast.finance)
    balance = PaymentOrder.objects.get(dossier=dossier, kind=OrderKind.BALANCE)
    batch = pay_through_batch(cast, balance)
    dossier.refresh_from_db()
    assert dossier.status == Status.CLOSED
    record_return(batch, balance, by=cast.finance, reason_code="MD07")
    dossier.refresh_from_db()
    assert dossier.status == Status.CLOSED
    fix_bank(cast, dossier)
    reissue_order(balance, by=cast.finance)
    pay_through_batch(cast, balance)
    assert balance.state == OS.PAID
    assert AuditEvent.objects.filter(action="settle", object_id=str(dossier.pk)).count() == 1


def test_late_return_refused_for_an_order_not_in_the_executed_batch(cast):
    first, other = signed(cast), signed(cast)
    certified_bank(cast, dossier=first)
    order = PaymentOrder.objects.get(dossier=first)
    batch = pay_through_batch(cast, order)
    stranger = PaymentOrder.objects.get(dossier=other)
    before = AuditEvent.objects.count()
    with pytest.raises(PaymentRefused, match="ne fait pas partie du lot"):
        record_return(batch, stranger, by=cast.finance, reason_code="AC01")
    with pytest.raises(PaymentRefused, match="Code motif"):
        record_return(batch, order, by=cast.finance, reason_code="ZZ99")
    with pytest.raises(PaymentRefused) as exc:
        record_return(batch, order, by=cast.porteur, reason_code="AC01")
    assert exc.value.kind == "role"
    order.refresh_from_db()
    assert order.state == OS.PAID and AuditEvent.objects.count() == before


def test_advance_returned_after_execution_blocks_the_final_report_acceptance_until_paid(cast):
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier)
    order = PaymentOrder.objects.get(dossier=dossier)
    batch = pay_through_batch(cast, order)
    record_return(batch, order, by=cast.finance, reason_code="AC04")
    dossier = report_submitted(cast, dossier)
    with pytest.raises(PaymentRefused, match="pas encore payée"):
        accept_final_report(dossier, cast.finance)


# ---- a cancelled balance order -----------------------------------------------------------------


def accepted_with_balance(cast):
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier)
    pay_through_batch(cast, PaymentOrder.objects.get(dossier=dossier, kind=OrderKind.ADVANCE))
    dossier = report_submitted(cast, dossier)
    settlement = accept_final_report(dossier, cast.finance)
    return dossier, settlement, PaymentOrder.objects.get(dossier=dossier, kind=OrderKind.BALANCE)


def test_cancelled_balance_order_reissued_then_paid_closes_the_dossier(cast):
    dossier, settlement, first = accepted_with_balance(cast)
    with pytest.raises(PaymentRefused, match="n'est pas annulé"):
        reissue_balance_order(dossier, by=cast.finance, motivation="Doublon.")
    cancel_order(first, by=cast.finance, motivation="Montant à revoir avec la commune.")
    assert can_reissue_balance(dossier)
    with pytest.raises(PaymentRefused) as exc:
        reissue_balance_order(dossier, by=cast.finance, motivation="")
    assert exc.value.kind == "motivation"
    with pytest.raises(PaymentRefused) as exc:
        reissue_balance_order(dossier, by=cast.porteur, motivation="Moi.")
    assert exc.value.kind == "role"
    order = reissue_balance_order(dossier, by=cast.finance, motivation="Annulation par erreur.")
    assert order.reference.endswith("-SO2") and order.amount == settlement.balance and order.state == OS.READY
    event = AuditEvent.objects.get(action="balance_order_reissued")
    assert (
        event.data["payload"]["cancelled_orders"] == [first.reference]
        and event.data["payload"]["motivation"] == "Annulation par erreur."
    )
    assert not can_reissue_balance(dossier)
    with pytest.raises(PaymentRefused, match="n'est pas annulé"):
        reissue_balance_order(dossier, by=cast.finance, motivation="Encore.")
    pay_through_batch(cast, order)
    dossier.refresh_from_db()
    assert dossier.status == Status.CLOSED


def test_balance_reissue_refused_without_an_accepted_positive_balance(cast):
    dossier = signed(cast)
    with pytest.raises(PaymentRefused, match="Aucun solde"):
        reissue_balance_order(dossier, by=cast.finance, motivation="Essai.")
    assert not can_reissue_balance(dossier)
    assert PaymentOrder.objects.filter(kind=OrderKind.BALANCE).count() == 0


def test_balance_not_reissued_once_the_dossier_is_closed(cast):
    """A new balance order is issued only for a dossier still waiting for its balance (report
    submitted): once the balance is paid and the dossier closed, a later return of that transfer
    cancelled by finance is not re-issued as a new order, and no button offers it."""
    dossier, _settlement, first = accepted_with_balance(cast)
    batch = pay_through_batch(cast, first)
    record_return(batch, first, by=cast.finance, reason_code="AC04")
    cancel_order(first, by=cast.finance, motivation="Compte de la commune clôturé.")
    dossier.refresh_from_db()
    assert dossier.status == Status.CLOSED
    assert not can_reissue_balance(dossier)
    with pytest.raises(PaymentRefused) as refused:
        reissue_balance_order(dossier, by=cast.finance, motivation="Solde à verser de nouveau.")
    assert refused.value.kind == "status"
    assert refused.value.message == "Aucun solde à réémettre : le dossier est « Soldé »."
    assert PaymentOrder.objects.filter(dossier=dossier, kind=OrderKind.BALANCE).count() == 1
