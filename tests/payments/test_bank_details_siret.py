"""The town hall's SIRET on the commune's bank details: captured, validated, certified, audited."""

from __future__ import annotations

import hashlib
import html as htmllib

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from fonds.audit.chain import event_payload
from fonds.audit.models import AuditEvent
from fonds.payments.bank import certify_bank_details, set_bank_details
from fonds.payments.batches import build_batch
from fonds.payments.common import PaymentRefused
from fonds.payments.execution import mark_batch_sent, record_return
from fonds.payments.models import BankDetails, OrderState, PaymentOrder
from fonds.payments.orders import reissue_order
from fonds.referentiel.siret import is_valid_siret

from .conftest import BIC_OK, IBAN_OK, bank_form, bank_given, certified_bank, signed, siret_of

OS = OrderState
pytestmark = pytest.mark.django_db


def _html(response) -> str:
    return htmllib.unescape(response.content.decode())


def _last_payload(action):
    return event_payload(AuditEvent.objects.filter(action=action).order_by("-seq").first())


def test_siret_recorded_with_the_bank_details_and_in_clear_in_the_audit_payload(cast):
    dossier = signed(cast)
    siret = siret_of(cast.commune)
    bank = bank_given(cast, dossier, siret=f"{siret[:3]} {siret[3:9]} {siret[9:]}")
    assert bank.siret == siret
    assert _last_payload("bank_details_set")["siret"] == siret
    certify_bank_details(cast.commune, by=cast.finance)
    assert _last_payload("bank_details_certified")["siret"] == siret


def test_service_refuses_a_siret_of_another_commune_in_french(cast):
    dossier = signed(cast)
    with pytest.raises(ValidationError) as exc:
        bank_given(cast, dossier, siret=siret_of(cast.other_commune))
    assert exc.value.message_dict["siret"] == [
        f"Le SIRET doit commencer par le SIREN de la commune, {cast.commune.siren}."
    ]
    assert not BankDetails.objects.exists()


def test_siret_change_voids_certification_and_suspends_ready_orders(cast):
    dossier = signed(cast)
    bank = certified_bank(cast, dossier=dossier)
    order = PaymentOrder.objects.get(dossier=dossier)
    assert bank.is_certified and order.state == OS.READY
    new_siret = next(
        s
        for s in (cast.commune.siren + f"0001{d}" for d in "0123456789")
        if is_valid_siret(s, cast.commune.siren)
    )
    bank = set_bank_details(
        cast.commune, by=cast.porteur, iban=IBAN_OK, bic=BIC_OK, holder=bank.holder, siret=new_siret
    )
    order.refresh_from_db()
    assert not bank.is_certified and bank.version == 2 and order.state == OS.TO_CERTIFY
    payload = _last_payload("bank_details_changed")
    assert payload["siret_changed"] and payload["was_certified"]
    assert payload["before"]["siret"] == siret_of(cast.commune) and payload["siret"] == new_siret
    assert payload["suspended_orders"] == [order.reference]
    certify_bank_details(cast.commune, by=cast.finance)
    order.refresh_from_db()
    assert order.state == OS.READY


def test_details_certified_before_the_siret_existed_stay_certified(cast):
    """Migration 0003 adds a blank SIRET: the fingerprint leaves it out, so the fingerprint
    recorded at certification (IBAN|BIC|holder) still matches."""
    dossier = signed(cast)
    bank = certified_bank(cast, dossier=dossier, siret="")
    assert bank.siret == "" and bank.is_certified
    legacy = hashlib.sha256(f"{bank.iban}|{bank.bic}|{bank.holder}".encode()).hexdigest()
    assert bank.certified_fingerprint == legacy == bank.fingerprint()
    # a new RIB or an API client that leaves the SIRET out keeps it as it is
    bank = set_bank_details(cast.commune, by=cast.porteur, iban=IBAN_OK, bic=BIC_OK, holder=bank.holder)
    assert bank.is_certified and bank.version == 1
    # adding the SIRET is a change: certification to do again
    bank = set_bank_details(
        cast.commune,
        by=cast.porteur,
        iban=IBAN_OK,
        bic=BIC_OK,
        holder=bank.holder,
        siret=siret_of(cast.commune),
    )
    assert not bank.is_certified and bank.siret == siret_of(cast.commune)


def test_siret_only_change_is_not_a_corrected_account_for_reissue(cast):
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier, siret="")
    order = PaymentOrder.objects.get(dossier=dossier)
    batch = build_batch(by=cast.finance, order_ids=[order.pk]).batch
    mark_batch_sent(batch, by=cast.finance)
    record_return(batch, order, by=cast.finance, reason_code="AC04")
    bank = BankDetails.objects.get()
    set_bank_details(
        cast.commune,
        by=cast.porteur,
        iban=bank.iban,
        bic=bank.bic,
        holder=bank.holder,
        siret=siret_of(cast.commune),
    )
    certify_bank_details(cast.commune, by=cast.finance)
    order.refresh_from_db()
    with pytest.raises(PaymentRefused, match="n'ont pas changé"):
        reissue_order(order, by=cast.finance)


# ---- the porteur's form --------------------------------------------------------------------------


def test_form_requires_the_siret_and_shows_the_commune_siren_as_a_hint(client, cast):
    dossier = signed(cast)
    client.force_login(cast.porteur)
    url = reverse("payments:porteur-bank", args=[dossier.pk])
    page = _html(client.get(url))
    assert "SIRET de la mairie" in page and f"le SIREN de la commune, {cast.commune.siren}" in page
    response = client.post(url, bank_form(dossier, siret=""))
    assert response.status_code == 400 and "Indiquez le SIRET de la mairie (14 chiffres)." in _html(response)
    assert not BankDetails.objects.exists()


def test_form_refuses_a_siret_of_another_siren_and_keeps_what_was_typed(client, cast):
    dossier = signed(cast)
    client.force_login(cast.porteur)
    url = reverse("payments:porteur-bank", args=[dossier.pk])
    typed = siret_of(cast.other_commune)
    response = client.post(url, bank_form(dossier, siret=typed))
    page = _html(response)
    assert response.status_code == 400
    assert (
        f"Le SIRET doit commencer par le SIREN de la commune, {cast.commune.siren}." in page
        and f'value="{typed}"' in page
    )
    assert not BankDetails.objects.exists()


def test_form_refuses_a_siret_with_a_wrong_checksum(client, cast):
    dossier = signed(cast)
    client.force_login(cast.porteur)
    good = siret_of(cast.commune)
    wrong = good[:-1] + str((int(good[-1]) + 1) % 10)
    response = client.post(
        reverse("payments:porteur-bank", args=[dossier.pk]), bank_form(dossier, siret=wrong)
    )
    assert response.status_code == 400 and "clé de contrôle est fausse" in _html(response)


def test_form_accepts_spaces_and_finance_screen_shows_the_siret_next_to_the_iban(client, cast):
    dossier = signed(cast)
    siret = siret_of(cast.commune)
    client.force_login(cast.porteur)
    response = client.post(
        reverse("payments:porteur-bank", args=[dossier.pk]),
        bank_form(dossier, siret=f"{siret[:9]} {siret[9:]}"),
    )
    assert response.status_code == 302 and BankDetails.objects.get().siret == siret
    client.force_login(cast.finance)
    page = _html(client.get(reverse("payments:bank", args=[cast.commune.pk])))
    assert 'id="bank-siret"' in page and f"{siret[:9]} {siret[9:]}" in page
    assert page.index('id="bank-iban"') < page.index('id="bank-siret"')


def test_form_changing_only_the_siret_of_certified_details_asks_for_confirmation(client, cast):
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier, siret="")
    client.force_login(cast.porteur)
    url = reverse("payments:porteur-bank", args=[dossier.pk])
    holder = BankDetails.objects.get().holder
    response = client.post(url, bank_form(dossier, holder=holder))
    assert response.status_code == 400 and "Cochez la case" in _html(response)
    response = client.post(url, bank_form(dossier, holder=holder, confirm_change="on"))
    assert response.status_code == 302
    bank = BankDetails.objects.get()
    assert bank.siret == siret_of(cast.commune) and not bank.is_certified
    assert PaymentOrder.objects.get(dossier=dossier).state == OS.TO_CERTIFY
