"""Pages for the gaps closed after the first delivery: the porteur's new RIB upload, finance's
rejection of bank details (the porteur sees why), a return recorded on an executed batch, and the
re-issue of a cancelled balance order — each a confirmation page over one service."""

import html as htmllib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fonds.dossiers.models import Document
from fonds.payments.models import BankDetails, OrderKind, OrderState, PaymentOrder
from fonds.payments.orders import cancel_order
from fonds.payments.settlement import accept_final_report

from .conftest import (
    bank_form,
    bank_given,
    certified_bank,
    pay_through_batch,
    report_submitted,
    rib_of,
    signed,
)
from .test_rib_upload_and_rejection import NEW_RIB

pytestmark = pytest.mark.django_db
OS = OrderState


def _html(response) -> str:
    return htmllib.unescape(response.content.decode())


def _bank_form(dossier, **over):
    """The form with the holder of the certified details (``certified_bank``): only the RIB changes."""
    return bank_form(dossier, holder=f"Commune de {dossier.commune.name}", **over)


def test_porteur_uploads_a_new_rib_after_certification_with_confirmation_payments_suspended(client, cast):
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier)
    old = rib_of(dossier)
    client.force_login(cast.porteur)
    url = reverse("payments:porteur-bank", args=[dossier.pk])
    page = _html(client.get(url))
    assert 'enctype="multipart/form-data"' in page and "Ou déposez un nouveau RIB" in page
    response = client.post(
        url, _bank_form(dossier, rib_file=SimpleUploadedFile("rib-2026.pdf", NEW_RIB, "application/pdf"))
    )
    assert response.status_code == 400 and "Cochez la case" in _html(response)
    assert BankDetails.objects.get().rib_document_id == old.pk
    response = client.post(
        url,
        _bank_form(
            dossier,
            confirm_change="on",
            rib_file=SimpleUploadedFile("rib-2026.pdf", NEW_RIB, "application/pdf"),
        ),
    )
    assert response.status_code == 302
    bank = BankDetails.objects.get()
    assert bank.rib_document.original_name == "rib-2026.pdf" and not bank.is_certified
    assert PaymentOrder.objects.get(dossier=dossier).state == OS.TO_CERTIFY
    assert Document.objects.get(pk=old.pk).replaced_by_id == bank.rib_document_id


def test_porteur_upload_of_a_file_that_is_not_a_rib_refused_in_french_typed_values_kept(client, cast):
    dossier = signed(cast)
    client.force_login(cast.porteur)
    url = reverse("payments:porteur-bank", args=[dossier.pk])
    response = client.post(
        url,
        _bank_form(
            dossier,
            iban="FR76 3000 6000 0112 3456 7890 189",
            rib_file=SimpleUploadedFile("rib.pdf", b"MZ\x90\x00 an exe", "application/pdf"),
        ),
    )
    page = _html(response)
    assert response.status_code == 400 and "Seuls les fichiers PDF, JPEG et PNG" in page
    assert 'value="FR76 3000 6000 0112 3456 7890 189"' in page
    assert not BankDetails.objects.exists()


def test_finance_rejects_bank_details_from_a_confirmation_page_and_the_porteur_sees_why(
    client, cast, mailoutbox, django_capture_on_commit_callbacks
):
    dossier = signed(cast)
    bank_given(cast, dossier)
    client.force_login(cast.finance)
    bank_url = reverse("payments:bank", args=[cast.commune.pk])
    reject_url = reverse("payments:bank-reject", args=[cast.commune.pk])
    assert reject_url in _html(client.get(bank_url))
    response = client.post(reject_url, {"motivation": "", "confirm": "on"})
    assert (
        response.status_code == 400
        and "Écrivez la motivation" in _html(response)
        and not BankDetails.objects.get().is_rejected
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reject_url, {"motivation": "Le BIC du RIB est CCBPFRPP, pas AGRIFRPP.", "confirm": "on"}
        )
    assert response.status_code == 302
    assert "Le BIC du RIB est CCBPFRPP" in _html(client.get(bank_url))
    assert "en attente de correction" in _html(client.get(reverse("payments:bank-list")))
    assert client.post(reject_url, {"motivation": "Encore", "confirm": "on"}).status_code == 409
    assert len(mailoutbox) == 1 and "CCBPFRPP" in mailoutbox[0].body
    client.force_login(cast.porteur)
    page = _html(client.get(reverse("payments:porteur-bank", args=[dossier.pk])))
    assert "Coordonnées rejetées par le fonds" in page and "Le BIC du RIB est CCBPFRPP, pas AGRIFRPP." in page


def test_auditor_cannot_reject_bank_details(client, cast):
    from tests.factories import make_user

    dossier = signed(cast)
    bank_given(cast, dossier)
    client.force_login(make_user("auditeur"))
    url = reverse("payments:bank-reject", args=[cast.commune.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"motivation": "Non.", "confirm": "on"}).status_code == 403
    assert not BankDetails.objects.get().is_rejected


def test_return_recorded_on_an_executed_batch_page(client, cast):
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier)
    order = PaymentOrder.objects.get(dossier=dossier)
    batch = pay_through_batch(cast, order)
    client.force_login(cast.finance)
    page = _html(client.get(reverse("payments:batch", args=[batch.pk])))
    assert "Enregistrer un virement rejeté par la banque" in page and "AM04 — Provision insuffisante" in page
    response = client.post(
        reverse("payments:batch-return", args=[batch.pk]),
        {"end_to_end_id": order.reference.lower(), "reason_code": "AM04", "confirm": "on"},
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.state == OS.RETURNED and order.return_code == "AM04"


def test_finance_reissues_a_cancelled_balance_order_from_the_report_page(client, cast):
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier)
    pay_through_batch(cast, PaymentOrder.objects.get(dossier=dossier, kind=OrderKind.ADVANCE))
    dossier = report_submitted(cast, dossier)
    settlement = accept_final_report(dossier, cast.finance)
    first = PaymentOrder.objects.get(dossier=dossier, kind=OrderKind.BALANCE)
    client.force_login(cast.finance)
    url = reverse("payments:balance-reissue", args=[dossier.pk])
    assert url not in _html(client.get(reverse("payments:report", args=[dossier.pk])))
    assert client.get(url).status_code == 409
    cancel_order(first, by=cast.finance, motivation="Erreur de saisie.")
    assert url in _html(client.get(reverse("payments:report", args=[dossier.pk])))
    response = client.post(url, {"motivation": "", "confirm": "on"})
    assert (
        response.status_code == 400
        and PaymentOrder.objects.filter(dossier=dossier, kind=OrderKind.BALANCE).count() == 1
    )
    response = client.post(url, {"motivation": "Annulé par erreur.", "confirm": "on"})
    order = PaymentOrder.objects.exclude(pk=first.pk).get(dossier=dossier, kind=OrderKind.BALANCE)
    assert response.status_code == 302 and response.url == reverse("payments:order", args=[order.pk])
    assert order.amount == settlement.balance and order.state == OS.READY
