"""The porteur's payment pages: the commune's bank details (schwifty's verdict in French, nothing
lost on bad input, certification status, a change after certification confirmed and suspending
payments) and the answer to a recovery order within its period — reached from the dossier pages."""

import html as htmllib

import pytest
from django.urls import reverse

from fonds.payments.bank import certify_bank_details
from fonds.payments.batches import build_batch
from fonds.payments.execution import mark_batch_sent, record_return
from fonds.payments.models import BankDetails, OrderKind, OrderState, PaymentOrder
from fonds.payments.settlement import accept_final_report
from tests.factories import make_user

from .conftest import (
    BIC_OK,
    BIC_OTHER,
    IBAN_OK,
    IBAN_OTHER,
    bank_form,
    certified_bank,
    pay_through_batch,
    report_submitted,
    rib_of,
    signed,
)

pytestmark = pytest.mark.django_db
OS = OrderState


def _html(response) -> str:
    return htmllib.unescape(response.content.decode())


@pytest.fixture
def dossier(cast):
    return signed(cast)


def _bank_url(dossier):
    return reverse("payments:porteur-bank", args=[dossier.pk])


def test_porteur_enters_the_commune_bank_details_then_sees_them_awaiting_certification(client, cast, dossier):
    client.force_login(cast.porteur)
    page = _html(client.get(_bank_url(dossier)))
    assert "Coordonnées à renseigner" in page and rib_of(dossier).original_name in page
    response = client.post(_bank_url(dossier), bank_form(dossier))
    assert response.status_code == 302
    bank = BankDetails.objects.get(commune=cast.commune)
    assert (
        bank.iban == IBAN_OK.replace(" ", "") and bank.bic == BIC_OK and bank.rib_document == rib_of(dossier)
    )
    page = _html(client.get(_bank_url(dossier)))
    assert (
        "Coordonnées en cours de vérification" in page
        and bank.masked_iban in page
        and "1 paiement attend" in page
    )
    certify_bank_details(cast.commune, by=cast.finance)
    assert "Coordonnées vérifiées par le fonds" in _html(client.get(_bank_url(dossier)))


def test_invalid_iban_and_bic_are_refused_in_french_and_the_typed_values_are_kept(client, cast, dossier):
    client.force_login(cast.porteur)
    response = client.post(
        _bank_url(dossier), bank_form(dossier, iban="FR76 3000 6000 0112 3456 7890 188", bic="XXXX")
    )
    page = _html(response)
    assert response.status_code == 400 and not BankDetails.objects.exists()
    assert "IBAN invalide" in page and "BIC invalide" in page and "2 erreurs à corriger" in page
    assert 'value="FR76 3000 6000 0112 3456 7890 188"' in page and 'value="XXXX"' in page
    assert 'value="Commune de Saint-Exemple"' in page
    response = client.post(
        _bank_url(dossier), bank_form(dossier, bic="BNPAGB22")
    )  # a British BIC for a French IBAN
    assert response.status_code == 400 and "ne correspond pas au pays de l'IBAN" in _html(response)
    response = client.post(_bank_url(dossier), bank_form(dossier, rib_document=""))
    assert response.status_code == 400 and "Joignez le RIB" in _html(response)
    assert not BankDetails.objects.exists()


def test_changing_certified_details_needs_a_confirmation_and_suspends_payments_until_recertified(
    client, cast, dossier
):
    certified_bank(cast, dossier=dossier)
    order = PaymentOrder.objects.get(dossier=dossier)
    assert order.state == OS.READY
    client.force_login(cast.porteur)
    page = _html(client.get(_bank_url(dossier)))
    assert (
        "Coordonnées vérifiées par le fonds" in page and "FR76 3000 6000 0112 3456 7890 189" in page
    )  # the form is pre-filled
    response = client.post(_bank_url(dossier), bank_form(dossier, iban=IBAN_OTHER, bic=BIC_OTHER))
    assert response.status_code == 400 and "Cochez la case" in _html(response)
    assert BankDetails.objects.get(commune=cast.commune).is_certified
    response = client.post(
        _bank_url(dossier), bank_form(dossier, iban=IBAN_OTHER, bic=BIC_OTHER, confirm_change="on")
    )
    assert response.status_code == 302
    bank = BankDetails.objects.get(commune=cast.commune)
    order.refresh_from_db()
    assert not bank.is_certified and bank.version == 2 and order.state == OS.TO_CERTIFY
    assert "Coordonnées en cours de vérification" in _html(client.get(_bank_url(dossier)))


def test_saving_the_same_details_again_changes_nothing(client, cast, dossier):
    certified_bank(cast, dossier=dossier)
    client.force_login(cast.porteur)
    response = client.post(
        _bank_url(dossier), bank_form(dossier, holder=BankDetails.objects.get().holder), follow=True
    )  # no confirmation needed
    assert "rien n'a changé" in _html(response)
    assert BankDetails.objects.get().is_certified


def test_commune_page_without_dossier_number_is_the_same_form(client, cast, dossier):
    client.force_login(cast.porteur)
    assert client.post(reverse("payments:commune-bank"), bank_form(dossier)).status_code == 302
    assert BankDetails.objects.get(commune=cast.commune).holder == "Commune de Saint-Exemple"


def test_porteur_of_another_commune_gets_404_and_staff_get_403(client, cast, dossier):
    client.force_login(cast.other_porteur)
    assert client.get(_bank_url(dossier)).status_code == 404
    assert client.post(_bank_url(dossier), bank_form(dossier)).status_code == 404
    assert client.get(reverse("payments:porteur-recovery", args=[dossier.pk])).status_code == 404
    for user in (cast.instructeur, cast.finance, make_user("comite")):
        client.force_login(user)
        assert client.get(_bank_url(dossier)).status_code == 403
        assert client.post(_bank_url(dossier), bank_form(dossier)).status_code == 403
        assert client.get(reverse("payments:porteur-recovery", args=[dossier.pk])).status_code == 403
    assert not BankDetails.objects.exists()


# ---- the recovery answer ------------------------------------------------------------------------


@pytest.fixture
def recovery(cast, dossier):
    certified_bank(cast, dossier=dossier)
    pay_through_batch(cast, PaymentOrder.objects.get(dossier=dossier))
    dossier.refresh_from_db()
    report_submitted(cast, dossier, youth_ages=[14, 15, 16, 17], leader_ages=[40, 41])
    accept_final_report(dossier, cast.finance)
    return PaymentOrder.objects.get(dossier=dossier, kind=OrderKind.RECOVERY)


def test_mayor_answers_the_recovery_once_within_the_period(client, cast, recovery):
    url = reverse("payments:porteur-recovery", args=[recovery.dossier_id])
    client.force_login(cast.porteur)
    page = _html(client.get(url))
    assert recovery.reference in page and "Vos observations" in page and "Le détail du calcul" in page
    response = client.post(url, {"text": "Deux jeunes malades ont renoncé la veille du départ."})
    assert response.status_code == 400 and "Cochez la case pour confirmer" in _html(response)
    assert "malades" in _html(response)  # nothing lost
    recovery.refresh_from_db()
    assert recovery.answered_at is None
    assert (
        client.post(
            url, {"text": "Deux jeunes malades ont renoncé la veille du départ.", "confirm": "on"}
        ).status_code
        == 302
    )
    recovery.refresh_from_db()
    assert recovery.answered_by == cast.porteur and "malades" in recovery.answer_text
    response = client.post(url, {"text": "Encore une fois.", "confirm": "on"})
    assert response.status_code == 409 and "déjà répondu" in _html(response)
    recovery.refresh_from_db()
    assert "Encore" not in recovery.answer_text


def test_answer_after_the_period_is_refused(client, cast, recovery, clock):
    clock.advance(days=15)  # the mayor's 15 days are over
    url = reverse("payments:porteur-recovery", args=[recovery.dossier_id])
    client.force_login(cast.porteur)
    assert "Le délai de réponse a expiré" in _html(client.get(url))
    response = client.post(url, {"text": "Trop tard ?", "confirm": "on"})
    assert response.status_code == 409
    recovery.refresh_from_db()
    assert recovery.answered_at is None


def test_no_recovery_page_for_a_dossier_without_recovery(client, cast, dossier):
    client.force_login(cast.porteur)
    assert client.get(reverse("payments:porteur-recovery", args=[dossier.pk])).status_code == 404


# ---- links from the dossier pages ---------------------------------------------------------------


def test_dossier_pages_and_my_dossiers_link_to_the_bank_details_and_the_recovery_answer(
    client, cast, recovery
):
    client.force_login(cast.porteur)
    dossier_pk = recovery.dossier_id
    answer_url = reverse("payments:porteur-recovery", args=[dossier_pk])
    for url, bank_url in (
        (reverse("dossier-detail", args=[dossier_pk]), _bank_url(recovery.dossier)),
        (reverse("suivi:dossier", args=[dossier_pk]), _bank_url(recovery.dossier)),
        (reverse("depot:my-dossiers"), reverse("payments:commune-bank")),
    ):
        page = _html(client.get(url))
        assert bank_url in page and "vérifiées par le fonds" in page, url
        assert answer_url in page and "Répondre à la demande de reversement" in page, url


def test_no_payment_links_before_the_grant_nor_for_staff(client, cast):
    from tests.factories import make_dossier

    draft = make_dossier(campaign=cast.campaign, commune=cast.commune, porteur=cast.porteur)
    client.force_login(cast.porteur)
    assert "Coordonnées bancaires de la commune" not in _html(
        client.get(reverse("dossier-detail", args=[draft.pk]))
    )
    signed_dossier = signed(cast)
    client.force_login(cast.finance)
    assert "Coordonnées bancaires de la commune" not in _html(
        client.get(reverse("dossier-detail", args=[signed_dossier.pk]))
    )


def test_my_dossiers_payment_section_costs_the_same_queries_for_one_or_many_dossiers(
    client, cast, dossier, django_assert_max_num_queries
):
    from fonds.dossiers.models import Dossier
    from tests.factories import make_dossier

    client.force_login(cast.porteur)
    with django_assert_max_num_queries(20) as few:
        assert "Coordonnées bancaires de la commune" in _html(client.get(reverse("depot:my-dossiers")))
    for status in ("advance_paid", "report_submitted", "recovery_pending", "agreement_signed"):
        extra = make_dossier(
            campaign=cast.campaign, commune=cast.commune, porteur=cast.porteur, complete=False
        )
        Dossier.objects.filter(pk=extra.pk).update(status=status)
    with django_assert_max_num_queries(
        len(few.captured_queries) + 1
    ):  # + the recovery look-up (a dossier is recovery_pending)
        assert client.get(reverse("depot:my-dossiers")).status_code == 200


def test_porteur_is_told_a_transfer_was_returned_with_the_bank_reason(client, cast, dossier):
    certified_bank(cast, dossier=dossier)
    order = PaymentOrder.objects.get(dossier=dossier)
    batch = build_batch(by=cast.finance, order_ids=[order.pk]).batch
    mark_batch_sent(batch, by=cast.finance)
    record_return(batch, order, by=cast.finance, reason_code="AC04")
    client.force_login(cast.porteur)
    page = _html(client.get(_bank_url(dossier)))
    assert (
        "Un virement a été rejeté par la banque" in page
        and "Compte clôturé" in page
        and dossier.reference in page
    )
