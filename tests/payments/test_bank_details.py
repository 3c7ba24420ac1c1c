"""Bank details: schwifty validation, per-commune, certification ("service fait"), change after
certification."""

import pytest
from django.core.exceptions import ValidationError

from fonds.audit.models import AuditEvent
from fonds.payments.bank import certify_bank_details, set_bank_details, validate_bank_details
from fonds.payments.batches import build_batch
from fonds.payments.common import PaymentRefused
from fonds.payments.models import BankDetails, OrderState, PaymentOrder
from tests.factories import make_dossier

from .conftest import BIC_OK, BIC_OTHER, IBAN_OK, IBAN_OTHER, bank_given, certified_bank, rib_of, signed

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "iban,bic,field,message",
    [
        ("FR76 3000 6000 0112 3456 7890 188", BIC_OK, "iban", "IBAN invalide"),  # wrong checksum
        ("FR76300060000112345", BIC_OK, "iban", "IBAN invalide"),  # too short
        ("", BIC_OK, "iban", "IBAN invalide"),
        (IBAN_OK, "AGRIF", "bic", "BIC invalide"),
        (IBAN_OK, "DEUTDEFF", "bic", "ne correspond pas au pays"),
    ],
)
def test_invalid_iban_or_bic_refused_in_french_nothing_saved(cast, iban, bic, field, message):
    dossier = make_dossier(campaign=cast.campaign, commune=cast.commune, porteur=cast.porteur)
    with pytest.raises(ValidationError) as exc:
        set_bank_details(
            cast.commune, by=cast.porteur, iban=iban, bic=bic, holder="Commune", rib_document=rib_of(dossier)
        )
    assert message in " ".join(exc.value.message_dict[field])
    assert (
        not BankDetails.objects.exists()
        and not AuditEvent.objects.filter(action__startswith="bank_details").exists()
    )


@pytest.mark.parametrize(
    "iban,bic",
    [
        ("TR330006100519786457841326", "TGBATRIS"),  # Turkey: a valid IBAN, a Turkish BIC
        ("TN5910006035183598478831", "BSTUTNTT"),  # Tunisia
        ("BR1800360305000010009795493C1", "CEFXBRSP"),  # Brazil
    ],
)
def test_iban_outside_the_sepa_zone_refused_even_with_a_bic_of_its_country(iban, bic):
    """A SEPA credit transfer reaches only SEPA-zone accounts: a well-formed IBAN from elsewhere is
    refused on the IBAN itself (its BIC matches its country, so the BIC check cannot catch it)."""
    with pytest.raises(ValidationError) as refused:
        validate_bank_details(iban, bic, "Commune de Test")
    assert refused.value.message_dict == {
        "iban": ["Cet IBAN n'appartient pas à la zone SEPA : un virement SEPA n'est pas possible."]
    }


def test_bank_details_need_the_rib_of_a_dossier_of_the_commune(cast):
    make_dossier(campaign=cast.campaign, commune=cast.commune, porteur=cast.porteur)
    foreign = make_dossier(commune=cast.other_commune, porteur=cast.other_porteur)
    with pytest.raises(ValidationError, match="Joignez le RIB"):
        set_bank_details(cast.commune, by=cast.porteur, iban=IBAN_OK, bic=BIC_OK, holder="Commune")
    with pytest.raises(ValidationError, match="pas une pièce d'un dossier de la commune"):
        set_bank_details(
            cast.commune,
            by=cast.porteur,
            iban=IBAN_OK,
            bic=BIC_OK,
            holder="Commune",
            rib_document=rib_of(foreign),
        )
    assert not BankDetails.objects.exists()


def test_only_the_communes_porteur_or_finance_set_bank_details(cast):
    dossier = make_dossier(campaign=cast.campaign, commune=cast.commune, porteur=cast.porteur)
    for user in (cast.other_porteur, cast.instructeur, cast.auditeur):
        with pytest.raises(PaymentRefused) as exc:
            set_bank_details(
                cast.commune,
                by=user,
                iban=IBAN_OK,
                bic=BIC_OK,
                holder="Commune",
                rib_document=rib_of(dossier),
            )
        assert exc.value.kind == "role"
    bank = set_bank_details(
        cast.commune,
        by=cast.finance,
        iban=IBAN_OK,
        bic=BIC_OK,
        holder="Commune",
        rib_document=rib_of(dossier),
    )
    assert bank.iban == IBAN_OK.replace(" ", "") and not bank.is_certified


def test_iban_never_in_clear_in_the_audit_trail(cast):
    dossier = make_dossier(campaign=cast.campaign, commune=cast.commune, porteur=cast.porteur)
    certified_bank(cast, dossier=dossier)
    bank_given(cast, dossier, iban=IBAN_OTHER, bic=BIC_OTHER)
    events = AuditEvent.objects.filter(action__startswith="bank_details")
    assert events.count() == 3
    for event in events:
        assert IBAN_OK.replace(" ", "") not in event.canonical and IBAN_OTHER not in event.canonical
        assert "FR76 **** " in event.canonical
    changed = events.get(action="bank_details_changed").data["payload"]
    assert changed["was_certified"] is True and changed["before"]["iban_masked"] == "FR76 **** 0189"
    assert changed["iban_sha256"] != changed["before"]["iban_sha256"]


def test_certification_needs_finance_and_moves_waiting_orders_to_ready(cast):
    dossier = signed(cast)
    order = PaymentOrder.objects.get(dossier=dossier)
    assert order.state == OrderState.TO_CERTIFY  # no bank details yet
    bank_given(cast, dossier)
    for user in (cast.porteur, cast.instructeur, cast.auditeur):
        with pytest.raises(PaymentRefused):
            certify_bank_details(cast.commune, by=user)
    bank = certify_bank_details(cast.commune, by=cast.finance)
    order.refresh_from_db()
    assert bank.is_certified and order.state == OrderState.READY
    assert AuditEvent.objects.filter(action="payment_order_certified", object_id=str(order.pk)).exists()
    with pytest.raises(PaymentRefused, match="déjà certifiées"):
        certify_bank_details(cast.commune, by=cast.finance)


def test_change_after_certification_blocks_payments_until_recertified(cast):
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier)
    order = PaymentOrder.objects.get(dossier=dossier)
    assert order.state == OrderState.READY
    bank = bank_given(cast, dossier, iban=IBAN_OTHER, bic=BIC_OTHER)
    order.refresh_from_db()
    assert not bank.is_certified and order.state == OrderState.TO_CERTIFY
    with pytest.raises(PaymentRefused, match="vide"):
        build_batch(by=cast.finance, order_ids=[order.pk])
    certify_bank_details(cast.commune, by=cast.finance)
    order.refresh_from_db()
    assert order.state == OrderState.READY
    assert build_batch(by=cast.finance, order_ids=[order.pk]).batch.items.get().creditor_iban == IBAN_OTHER


def test_same_values_saved_again_change_nothing(cast):
    dossier = make_dossier(campaign=cast.campaign, commune=cast.commune, porteur=cast.porteur)
    certified_bank(cast, dossier=dossier)
    before = AuditEvent.objects.count()
    bank = bank_given(cast, dossier, holder="Commune de Saint-Exemple-sur-Loire")
    assert bank.is_certified and AuditEvent.objects.count() == before


def test_bank_details_are_per_commune_shared_by_its_dossiers(cast):
    first = signed(cast)
    second = signed(cast)
    certified_bank(cast, dossier=first)
    assert set(PaymentOrder.objects.filter(dossier__in=[first, second]).values_list("state", flat=True)) == {
        OrderState.READY
    }
