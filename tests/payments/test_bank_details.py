"""Bank details: schwifty validation, per-commune, certification ("service fait"), change after
certification."""

import pytest
from django.core.exceptions import ValidationError

from fonds.audit.models import AuditEvent
from fonds.dossiers.models import Document
from fonds.payments.bank import certify_bank_details, set_bank_details, validate_bank_details
from fonds.payments.batches import build_batch
from fonds.payments.common import PaymentRefused
from fonds.payments.models import BankDetails, OrderState, PaymentOrder
from tests.factories import make_dossier

from .conftest import (
    BIC_OK,
    BIC_OTHER,
    IBAN_OK,
    IBAN_OTHER,
    bank_given,
    certified_bank,
    rib_of,
    signed,
    siret_of,
)

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
    _with_a_large_pk(rib_of(dossier))
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


HOLDER_MESSAGE = "Indiquez le titulaire du compte tel qu'il figure sur le RIB (70 caractères au plus)."


@pytest.mark.parametrize(
    "holder,kept",
    [("AB", "AB"), ("  Commune   de\tTest ", "Commune de Test"), ("x" * 70, "x" * 70)],
)
def test_account_holder_of_2_to_70_characters_kept_with_its_spaces_collapsed(holder, kept):
    assert validate_bank_details(IBAN_OK, BIC_OK, holder) == (IBAN_OK.replace(" ", ""), BIC_OK, kept)


@pytest.mark.parametrize("holder", ["", "A", "  A  ", "x" * 71])
def test_account_holder_under_2_or_over_70_characters_refused(holder):
    with pytest.raises(ValidationError) as refused:
        validate_bank_details(IBAN_OK, BIC_OK, holder)
    assert refused.value.message_dict == {"holder": [HOLDER_MESSAGE]}


@pytest.mark.parametrize("bic", ["DEUTDEFF", "UNCRITMM"])  # a country before FR, one after
def test_bic_of_another_country_than_the_iban_refused(bic):
    with pytest.raises(ValidationError) as refused:
        validate_bank_details(IBAN_OK, bic, "Commune de Test")
    assert refused.value.message_dict == {
        "bic": ["Le BIC ne correspond pas au pays de l'IBAN : vérifiez les deux sur le RIB."]
    }


@pytest.mark.parametrize(
    "iban,bic",
    [
        ("DE89370400440532013000", "COBADEFFXXX"),  # Germany, a German bank
        ("IT60X0542811101000000123456", "UNCRITMM"),  # Italy, an Italian bank
    ],
)
def test_iban_and_bic_of_the_same_sepa_country_accepted(iban, bic):
    assert validate_bank_details(iban, bic, "Commune de Test") == (iban, bic, "Commune de Test")


@pytest.mark.parametrize(
    "iban,bic",
    [
        (IBAN_OK, "BREDRERX"),  # a French IBAN, a bank of La Réunion
        ("MC5811222000010123456789030", BIC_OK),  # Monaco, a bank of mainland France
    ],
)
def test_bic_and_iban_of_two_parts_of_the_french_banking_area_accepted(iban, bic):
    assert validate_bank_details(iban, bic, "Commune de Test") == (
        iban.replace(" ", ""),
        bic,
        "Commune de Test",
    )


def test_iban_outside_the_sepa_zone_not_compared_with_the_bic(cast):
    """The IBAN is refused for itself: no second message about a BIC of another country."""
    with pytest.raises(ValidationError) as refused:
        validate_bank_details("TR330006100519786457841326", BIC_OK, "Commune de Test")
    assert list(refused.value.message_dict) == ["iban"]


def _changes(flag):
    return [
        e.data["payload"][flag]
        for e in AuditEvent.objects.filter(action="bank_details_changed").order_by("seq")
    ]


def _with_a_large_pk(document):
    """The document renumbered above CPython's cached small ints (-5 to 256), as in production, so
    that two reads of its id are two int objects: an identity test in place of ``==`` shows."""
    Document.objects.filter(pk=document.pk).update(id=document.pk + 100_000)


def test_rib_change_recorded_as_such_even_back_to_an_older_rib_of_the_commune(cast):
    older, newer = (
        make_dossier(campaign=cast.campaign, commune=cast.commune, porteur=cast.porteur) for _ in "12"
    )
    _with_a_large_pk(rib_of(newer))
    bank_given(cast, newer)
    bank_given(cast, newer, iban=IBAN_OTHER, bic=BIC_OTHER)  # another account, the same RIB
    bank_given(cast, older, iban=IBAN_OTHER, bic=BIC_OTHER)  # the RIB filed with the older dossier
    assert _changes("rib_changed") == [False, True]


def test_siret_change_recorded_as_such_only_when_the_siret_differs(cast):
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier, siret="")  # certified before the SIRET was asked for
    siret = siret_of(cast.commune)
    bank_given(cast, dossier, siret=siret)
    bank_given(cast, dossier, iban=IBAN_OTHER, bic=BIC_OTHER, siret=siret)  # the same SIRET typed again
    assert _changes("siret_changed") == [True, False]


def test_each_order_suspended_by_a_change_of_bank_details_is_in_the_audit_trail(cast):
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier)
    order = PaymentOrder.objects.get(dossier=dossier)
    bank_given(cast, dossier, iban=IBAN_OTHER, bic=BIC_OTHER)
    event = AuditEvent.objects.get(action="payment_order_suspended")
    assert event.object_id == str(order.pk)
    assert event.data["payload"]["reason"] == "bank_details_changed"
    assert event.data["payload"]["state"] == OrderState.TO_CERTIFY


def test_every_wrong_field_reported_at_once_nothing_saved(cast):
    dossier = make_dossier(campaign=cast.campaign, commune=cast.commune, porteur=cast.porteur)
    with pytest.raises(ValidationError) as refused:
        set_bank_details(
            cast.commune,
            by=cast.porteur,
            iban="FR76 0000",
            bic=BIC_OK,
            holder="",
            siret=siret_of(cast.other_commune),
            rib_file=("rib.pdf", b"PK\x03\x04 not a pdf"),
            dossier=dossier,
        )
    assert sorted(refused.value.message_dict) == ["holder", "iban", "rib_file", "siret"]
    assert not BankDetails.objects.exists()
