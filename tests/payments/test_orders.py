"""Payment orders: creation by the agreement hook, amounts, references, each FSM transition, DB guards."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from fonds.accounts.roles import Role
from fonds.audit.models import AuditEvent
from fonds.dossiers.states import Status
from fonds.payments.bank import certify_bank_details
from fonds.payments.batches import build_batch, cancel_batch
from fonds.payments.common import PaymentRefused, parse_amount
from fonds.payments.execution import mark_batch_sent, record_execution, record_return
from fonds.payments.models import BatchItem, ItemOutcome, OrderKind, OrderState, PaymentOrder
from fonds.payments.orders import cancel_order, create_advance_order, create_order, reissue_order
from fonds.payments.settlement import accept_final_report
from fonds.payments.testing import travel_to_execution_date

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
D = Decimal
OS = OrderState


def test_advance_order_75_pct_created_when_the_agreement_is_accepted(cast):
    dossier = signed(cast, approved="5670.00")
    order = PaymentOrder.objects.get(dossier=dossier)
    assert order.kind == OrderKind.ADVANCE and order.amount == D("4252.50") and order.state == OS.TO_CERTIFY
    assert order.reference == f"{dossier.reference}-AV1"
    assert order.rules_version == dossier.campaign.rules.version and order.breakdown["advance_pct"] == "75"
    event = AuditEvent.objects.get(action="accept_agreement", object_id=str(dossier.pk))
    assert event.data["payload"]["data"]["advance_order"] == order.reference
    created = AuditEvent.objects.get(action="payment_order_created", object_id=str(order.pk)).data["payload"]
    assert created["rules_version"] == order.rules_version and created["breakdown"]["advance_pct"] == "75"


def test_advance_pct_read_from_the_campaign_rules(cast):
    from fonds.referentiel.models import RuleSet
    from tests.factories import make_campaign

    campaign = make_campaign()
    rules = campaign.rules
    params = {**rules.params, "payment": {**rules.params["payment"], "advance_pct": "50"}}
    RuleSet.objects.create(campaign=campaign, version=rules.version + 1, params=params, note="test")
    dossier = signed(cast, approved="1000.01", campaign=campaign)
    assert PaymentOrder.objects.get(dossier=dossier).amount == D("500.00")  # rounded down to the cent


def test_advance_order_created_once(cast):
    dossier = signed(cast)
    again = create_advance_order(dossier)
    assert PaymentOrder.objects.filter(dossier=dossier).count() == 1 and again.reference.endswith("AV1")


@pytest.mark.parametrize(
    "value,message",
    [
        ("12.345", "plus de deux décimales"),
        ("0", "strictement positif"),
        ("0.00", "strictement positif"),
        ("-5", "strictement positif"),
        ("abc", "invalide"),
        ("NaN", "invalide"),
    ],
)
def test_amount_more_than_2_decimals_zero_or_negative_refused(value, message):
    with pytest.raises(PaymentRefused, match=message):
        parse_amount(value)


def test_amount_accepted_with_comma_and_trailing_zeros():
    assert parse_amount("1250,50") == D("1250.50") and parse_amount("10.500") == D("10.50")


def test_zero_or_negative_order_refused_by_the_database(cast):
    dossier = signed(cast)
    for amount in (D("0"), D("-1")):
        with pytest.raises(IntegrityError), transaction.atomic():
            PaymentOrder.objects.create(
                reference=f"X{amount}", dossier=dossier, kind=OrderKind.BALANCE, amount=amount
            )


def test_order_reference_unique_and_one_live_order_per_kind(cast):
    dossier = signed(cast)
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentOrder.objects.create(
            reference=f"{dossier.reference}-AV1", dossier=dossier, kind=OrderKind.BALANCE, amount=D("1")
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentOrder.objects.create(
            reference="OTHER-1", dossier=dossier, kind=OrderKind.ADVANCE, amount=D("1")
        )


def test_order_state_cannot_be_assigned_directly(cast):
    order = PaymentOrder.objects.get(dossier=signed(cast))
    with pytest.raises(AttributeError):
        order.state = OS.PAID


def test_transitions_to_certify_ready_in_batch_sent_paid(cast, clock):
    dossier = signed(cast)
    order = PaymentOrder.objects.get(dossier=dossier)
    certified_bank(cast, dossier=dossier)
    order.refresh_from_db()
    assert order.state == OS.READY
    batch = build_batch(by=cast.finance, order_ids=[order.pk]).batch
    order.refresh_from_db()
    assert order.state == OS.IN_BATCH
    mark_batch_sent(batch, by=cast.finance)
    order.refresh_from_db()
    assert order.state == OS.SENT
    travel_to_execution_date(clock, batch)
    record_execution(batch, by=cast.finance)
    order.refresh_from_db()
    dossier.refresh_from_db()
    assert order.state == OS.PAID and order.paid_at is not None
    assert dossier.status == Status.ADVANCE_PAID and dossier.report_due is not None  # pay_advance fired
    assert (
        AuditEvent.objects.filter(action="pay_advance", object_id=str(dossier.pk)).get().actor_id
        == cast.finance.pk
    )


def test_transition_in_batch_back_to_ready_when_the_batch_is_cancelled(cast):
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier)
    order = PaymentOrder.objects.get(dossier=dossier)
    batch = build_batch(by=cast.finance, order_ids=[order.pk]).batch
    cancel_batch(batch, by=cast.finance)
    order.refresh_from_db()
    assert order.state == OS.READY and batch.state == "cancelled"
    assert BatchItem.objects.get(order=order).outcome == ItemOutcome.REMOVED
    again = build_batch(by=cast.finance, order_ids=[order.pk]).batch  # free for another batch
    assert again.pk != batch.pk


def test_transition_sent_returned_then_ready_after_the_iban_is_fixed(cast):
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier)
    order = PaymentOrder.objects.get(dossier=dossier)
    batch = build_batch(by=cast.finance, order_ids=[order.pk]).batch
    mark_batch_sent(batch, by=cast.finance)
    record_return(batch, order, by=cast.finance, reason_code="ac04")
    order.refresh_from_db()
    assert order.state == OS.RETURNED and order.return_code == "AC04"
    with pytest.raises(PaymentRefused, match="n'ont pas changé"):
        reissue_order(order, by=cast.finance)
    bank_given(cast, dossier, iban=IBAN_OTHER, bic=BIC_OTHER)
    with pytest.raises(PaymentRefused, match="certifiées"):
        reissue_order(order, by=cast.finance)
    certify_bank_details(cast.commune, by=cast.finance)
    reissue_order(order, by=cast.finance)
    order.refresh_from_db()
    assert order.state == OS.READY
    second = pay_through_batch(cast, order)
    dossier.refresh_from_db()
    assert order.state == OS.PAID and dossier.status == Status.ADVANCE_PAID
    assert (
        second.items.get().creditor_iban == IBAN_OTHER and second.items.get().end_to_end_id == order.reference
    )


def test_transition_cancel_needs_motivation_and_is_final(cast):
    order = PaymentOrder.objects.get(dossier=signed(cast))
    with pytest.raises(PaymentRefused, match="motivation"):
        cancel_order(order, by=cast.finance, motivation=" ")
    with pytest.raises(PaymentRefused):
        cancel_order(order, by=cast.porteur, motivation="non")
    cancel_order(order, by=cast.finance, motivation="Avance versée hors plateforme par erreur.")
    order.refresh_from_db()
    assert order.state == OS.CANCELLED
    with pytest.raises(PaymentRefused, match="Annulé"):
        cancel_order(order, by=cast.finance, motivation="encore")


def test_sent_or_paid_order_cannot_be_cancelled(cast, clock):
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier)
    order = PaymentOrder.objects.get(dossier=dossier)
    batch = build_batch(by=cast.finance, order_ids=[order.pk]).batch
    mark_batch_sent(batch, by=cast.finance)
    with pytest.raises(PaymentRefused, match="Virement envoyé"):
        cancel_order(order, by=cast.finance, motivation="trop tard")
    travel_to_execution_date(clock, batch)
    record_execution(batch, by=cast.finance)
    with pytest.raises(PaymentRefused, match="Payé"):
        cancel_order(order, by=cast.finance, motivation="trop tard")


def test_paid_at_most_once_enforced_by_the_database(cast):
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier)
    order = PaymentOrder.objects.get(dossier=dossier)
    batch = pay_through_batch(cast, order)
    item = batch.items.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        BatchItem.objects.create(
            batch=batch,
            order=order,
            position=2,
            live=False,
            outcome=ItemOutcome.PAID,
            amount=order.amount,
            end_to_end_id=order.reference,
            creditor_name="x",
            creditor_iban=item.creditor_iban,
            creditor_bic="x",
            bank_fingerprint="x",
            remittance="x",
        )


def test_in_one_live_batch_at_most_enforced_by_the_database(cast):
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier)
    order = PaymentOrder.objects.get(dossier=dossier)
    batch = build_batch(by=cast.finance, order_ids=[order.pk]).batch
    item = batch.items.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        BatchItem.objects.create(
            batch=batch,
            order=order,
            position=2,
            amount=order.amount,
            end_to_end_id=order.reference,
            creditor_name="x",
            creditor_iban=item.creditor_iban,
            creditor_bic="x",
            bank_fingerprint="x",
            remittance="x",
        )


def campaign_with_advance(pct: str):
    """A campaign whose rules in force pay ``pct`` % of the approved amount as the advance."""
    from fonds.referentiel.models import RuleSet
    from tests.factories import make_campaign

    campaign = make_campaign()
    rules = campaign.rules
    RuleSet.objects.create(
        campaign=campaign,
        version=rules.version + 1,
        params={**rules.params, "payment": {**rules.params["payment"], "advance_pct": pct}},
        note="test",
    )
    return campaign


def test_no_advance_order_when_the_campaign_sets_no_advance(cast):
    dossier = signed(cast, campaign=campaign_with_advance("0"))
    dossier.refresh_from_db()
    assert (
        dossier.status == Status.AGREEMENT_SIGNED
        and not PaymentOrder.objects.filter(dossier=dossier).exists()
    )


def test_advance_of_a_single_euro_is_still_ordered(cast):
    """The advance is the campaign's rate of the approved amount: an order is issued for any amount
    it gives above zero (here 0.1 % of 1,000 €: 1 €); only a nil advance means no order."""
    dossier = signed(cast, approved="1000.00", campaign=campaign_with_advance("0.1"))
    order = PaymentOrder.objects.get(dossier=dossier, kind=OrderKind.ADVANCE)
    assert order.amount == D("1.00") and order.reference == f"{dossier.reference}-AV1"


def test_second_live_order_of_a_kind_refused_with_a_message(cast):
    """One live order per kind and dossier: a second advance order is refused in French (a
    conflict), not left to fail as a database error; the first order stays alone."""
    dossier = signed(cast)
    with pytest.raises(PaymentRefused) as refused:
        create_order(dossier, OrderKind.ADVANCE, D("10.00"), by=cast.finance, role=Role.FINANCE)
    assert refused.value.kind == "conflict"
    assert refused.value.message == (f"Un ordre « Avance » existe déjà pour le dossier {dossier.reference}.")
    assert PaymentOrder.objects.filter(dossier=dossier).count() == 1


def test_only_a_returned_transfer_can_be_reissued(cast):
    """Re-issuing is for a transfer the bank returned: an order ready to pay or already sent is
    refused as such, and keeps its state."""
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier)
    order = PaymentOrder.objects.get(dossier=dossier)
    with pytest.raises(PaymentRefused, match="Seul un virement rejeté peut être réémis.*Prêt à payer"):
        reissue_order(order, by=cast.finance)
    mark_batch_sent(build_batch(by=cast.finance, order_ids=[order.pk]).batch, by=cast.finance)
    order.refresh_from_db()
    with pytest.raises(PaymentRefused, match="Seul un virement rejeté peut être réémis.*Virement envoyé"):
        reissue_order(order, by=cast.finance)
    order.refresh_from_db()
    assert order.state == OS.SENT


def test_returned_transfer_not_reissued_after_a_change_of_siret_alone(cast):
    """A returned transfer is re-issued only once the account is corrected (IBAN, BIC or holder):
    the same account certified again with the town hall's SIRET added is no correction."""
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier, siret="")  # no SIRET yet
    order = PaymentOrder.objects.get(dossier=dossier)
    batch = build_batch(by=cast.finance, order_ids=[order.pk]).batch
    mark_batch_sent(batch, by=cast.finance)
    record_return(batch, order, by=cast.finance, reason_code="AC04")
    certified_bank(cast, dossier=dossier)  # the same IBAN, BIC and holder, with a SIRET
    with pytest.raises(PaymentRefused, match="n'ont pas changé"):
        reissue_order(order, by=cast.finance)
    order.refresh_from_db()
    assert order.state == OS.RETURNED


def test_returned_transfer_reissued_after_each_correction_of_the_account_holder(cast):
    """A corrected holder is a corrected account (IBAN, BIC or holder): each return of the transfer
    is re-issued once the corrected details are certified."""
    dossier = signed(cast)
    bank_given(cast, dossier, holder="Commune de Saint-Exemple")  # no SIRET: fixed fingerprints
    certify_bank_details(cast.commune, by=cast.finance)
    order = PaymentOrder.objects.get(dossier=dossier)
    # two corrections: the first sorts after the account it corrects (by name and by fingerprint),
    # the second before
    for corrected in ("Mairie de Saint-Exemple", "Commune de Saint-Exemple-sur-Loire"):
        batch = build_batch(by=cast.finance, order_ids=[order.pk]).batch
        mark_batch_sent(batch, by=cast.finance)
        record_return(batch, order, by=cast.finance, reason_code="AC04")
        bank_given(cast, dossier, holder=corrected)
        certify_bank_details(cast.commune, by=cast.finance)
        reissue_order(order, by=cast.finance)
        order.refresh_from_db()
        assert order.state == OS.READY
    batch = build_batch(by=cast.finance, order_ids=[order.pk]).batch
    assert batch.items.get().creditor_name == "Commune de Saint-Exemple-sur-Loire"


def test_cancelled_recovery_order_ends_the_recovery(cast):
    """Finance cancelling a recovery order (the mayor's answer accepted) leaves nothing to recover:
    the dossier leaves « reversement demandé » and is closed."""
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier)
    pay_through_batch(cast, PaymentOrder.objects.get(dossier=dossier, kind=OrderKind.ADVANCE))
    dossier.refresh_from_db()
    report_submitted(cast, dossier, youth_ages=[14, 15, 16, 17], leader_ages=[40, 41])  # fewer youth
    accept_final_report(dossier, cast.finance)
    recovery = PaymentOrder.objects.get(dossier=dossier, kind=OrderKind.RECOVERY)
    dossier.refresh_from_db()
    assert dossier.status == Status.RECOVERY_PENDING
    cancel_order(recovery, by=cast.finance, motivation="Réponse du maire recevable.")
    dossier.refresh_from_db()
    assert dossier.status == Status.CLOSED


def test_cancelled_advance_never_ends_a_recovery(cast):
    """A recovery ends only by a decision on its own order: an advance returned by the bank after
    the final report's acceptance, then cancelled, leaves the dossier awaiting the recovery."""
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier)
    advance = PaymentOrder.objects.get(dossier=dossier, kind=OrderKind.ADVANCE)
    batch = pay_through_batch(cast, advance)
    report_submitted(cast, dossier, youth_ages=[14, 15, 16, 17], leader_ages=[40, 41])  # fewer youth
    accept_final_report(dossier, cast.finance)
    record_return(batch, advance, by=cast.finance, reason_code="AC04")
    cancel_order(advance, by=cast.finance, motivation="Avance revenue, compte de la commune clos.")
    dossier.refresh_from_db()
    assert dossier.status == Status.RECOVERY_PENDING
    recovery = PaymentOrder.objects.get(dossier=dossier, kind=OrderKind.RECOVERY)
    assert recovery.state == OS.CONTRADICTORY
