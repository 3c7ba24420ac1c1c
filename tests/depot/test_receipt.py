"""Journey 4: the receipt PDF (content, hash), made once by an idempotent task, emailed once."""

import hashlib
import io
import re

import pytest
from django.core import mail
from django.urls import reverse

from fonds.audit.chain import event_payload, verify
from fonds.audit.models import AuditEvent
from fonds.depot.content import SCHEME, canonical_content, submitted_content_sha256
from fonds.depot.models import EmailNotice
from fonds.depot.tasks import generate_receipt
from fonds.documents.models import GeneratedDocument
from fonds.dossiers.models import BudgetLine, Document
from fonds.dossiers.services import perform

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(draft, porteur, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        perform(draft, "submit", by=porteur)
    draft.refresh_from_db()
    return draft


def pdf_text(document) -> str:
    from pypdf import PdfReader

    with document.file.open("rb") as fh:
        reader = PdfReader(io.BytesIO(fh.read()))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_submit_stores_the_content_hash_in_the_audit_trail(submitted):
    event = AuditEvent.objects.get(action="submit", object_id=str(submitted.pk))
    stored = event_payload(event)["data"]["submitted_content"]
    assert stored == {"scheme": SCHEME, "sha256": submitted_content_sha256(submitted)}
    assert verify().ok


def test_content_hash_is_sha256_of_the_canonical_json(submitted):
    text = canonical_content(submitted)
    assert submitted_content_sha256(submitted) == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert f'"reference":"{submitted.reference}"' in text
    assert '"amount":"6000.00"' in text and '"requested_amount":"6000.00"' in text
    assert text.count('"sha256":"' + "0" * 64 + '"') == 4  # each document by its SHA-256


def test_content_hash_covers_fields_budget_and_documents(draft):
    before = submitted_content_sha256(draft)
    line = BudgetLine.objects.filter(dossier=draft).first()
    BudgetLine.objects.filter(pk=line.pk).update(amount=line.amount + 1)
    assert submitted_content_sha256(draft) != before
    BudgetLine.objects.filter(pk=line.pk).update(amount=line.amount)
    assert submitted_content_sha256(draft) == before
    Document.objects.filter(dossier=draft, kind="rib").update(sha256="1" * 64)
    assert submitted_content_sha256(draft) != before


def test_receipt_pdf_content(submitted):
    document = GeneratedDocument.objects.get(kind="receipt", key=f"receipt-{submitted.pk}")
    assert document.dossier_id == submitted.pk and document.size > 0
    with document.file.open("rb") as fh:
        data = fh.read()
    assert data.startswith(b"%PDF-") and hashlib.sha256(data).hexdigest() == document.sha256
    text = pdf_text(document)
    flat = re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " "))
    assert "Récépissé de dépôt" in flat
    assert submitted.reference in flat
    assert f"{submitted.commune.name} (code INSEE {submitted.commune.code})" in flat
    assert "6 000 €" in flat  # the amount requested
    from django.utils import timezone

    assert (
        timezone.localtime(submitted.submitted_at).strftime("%d/%m/%Y à %H:%M") in flat
    )  # date of the deposit
    # the hash printed equals the one recorded at submission and a recomputation from the dossier
    printed = re.search(r"\b[0-9a-f]{64}\b", re.sub(r"(?<=[0-9a-f])\s+(?=[0-9a-f])", "", text))
    assert printed is not None
    assert printed.group(0) == submitted_content_sha256(submitted)
    generated = AuditEvent.objects.get(action="receipt_generated", object_id=str(submitted.pk))
    assert event_payload(generated)["sha256"] == document.sha256
    assert event_payload(generated)["submitted_content_sha256"] == printed.group(0)


def test_receipt_email_sent_once_with_the_link(submitted, porteur):
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [porteur.email] and submitted.reference in message.subject
    assert reverse("depot:receipt", args=[submitted.pk]) in message.body
    assert submitted_content_sha256(submitted) in message.body
    notice = EmailNotice.objects.get(key=f"receipt-email-{submitted.pk}")
    assert notice.sent_at is not None and notice.to == porteur.email
    assert AuditEvent.objects.filter(action="receipt_sent", object_id=str(submitted.pk)).count() == 1


def test_task_is_idempotent(submitted):
    first = GeneratedDocument.objects.get(kind="receipt", key=f"receipt-{submitted.pk}")
    result = generate_receipt.delay(submitted.pk).get()
    generate_receipt(submitted.pk)
    assert result["document"] == first.pk and result["email_sent_now"] is False
    assert GeneratedDocument.objects.filter(kind="receipt", dossier=submitted).count() == 1
    assert len(mail.outbox) == 1
    assert AuditEvent.objects.filter(action="receipt_generated", object_id=str(submitted.pk)).count() == 1
    assert AuditEvent.objects.filter(action="receipt_sent", object_id=str(submitted.pk)).count() == 1


def test_task_retried_after_a_failed_email_sends_it_then_never_again(
    draft, porteur, django_capture_on_commit_callbacks, monkeypatch
):
    from fonds.depot import notices

    def broken(*args, **kwargs):
        raise OSError("SMTP indisponible")

    monkeypatch.setattr(notices, "send_mail", broken)
    from celery.exceptions import Retry

    with pytest.raises((OSError, Retry)), django_capture_on_commit_callbacks(execute=True):
        perform(draft, "submit", by=porteur)
    assert GeneratedDocument.objects.filter(kind="receipt", dossier=draft).count() == 1
    assert EmailNotice.objects.get(key=f"receipt-email-{draft.pk}").claimed_at is None  # claim released
    monkeypatch.undo()
    generate_receipt(draft.pk)
    generate_receipt(draft.pk)
    assert (
        len(mail.outbox) == 1 and GeneratedDocument.objects.filter(kind="receipt", dossier=draft).count() == 1
    )


def test_receipt_download_checks_access(client, porteur_client, submitted):
    response = porteur_client.get(reverse("depot:receipt", args=[submitted.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"  # the commune's data, on a shared computer
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    client.logout()
    assert client.get(reverse("depot:receipt", args=[submitted.pk])).status_code == 302  # to the login page


def test_receipt_of_a_dossier_not_submitted_is_explained(porteur_client, draft):
    response = porteur_client.get(reverse("depot:receipt", args=[draft.pk]))
    assert response.status_code == 404 and "n'a pas encore été déposé" in response.content.decode()
