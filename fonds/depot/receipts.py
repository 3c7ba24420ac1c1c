"""The receipt (récépissé de dépôt): made once per submitted dossier, as a WeasyPrint PDF.

``submission_record`` reads the submission from the audit trail (time, person, the content hash
the ``submit`` hook stored: the receipt prints that value and the event's sequence number — in
deferred mode the task first chains what is pending, ``audit.catch_up``); ``ensure_receipt``
stores the PDF once (a concurrent task loses on the unique key and returns the winner's), audited
with its own SHA-256; ``send_receipt_email`` sends the download link once.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from fonds import clock
from fonds.accounts.models import User
from fonds.audit import chain as audit
from fonds.audit.models import AuditEvent
from fonds.documents.models import GeneratedDocument
from fonds.documents.pdf import write_pdf
from fonds.documents.store import store_once
from fonds.documents.texts import campaign_texts
from fonds.dossiers.models import Dossier
from fonds.notifications.emails import text_as_html
from fonds.ui.progress import DocumentProgress, document_progress

from .content import SCHEME
from .notices import send_once

#: the authority the receipt names when the campaign has no texts of its own
FUND_AUTHORITY = "Ministère de l'Europe et des Affaires étrangères"


def receipt_key(dossier_id: int) -> str:
    return f"receipt-{dossier_id}"


def receipt_progress(dossier_id: int) -> DocumentProgress:
    """Where the receipt stands: ready, in preparation (the submit hook queued its task), failed."""
    return document_progress(
        GeneratedDocument.Kind.RECEIPT,
        receipt_key(dossier_id),
        task="fonds.depot.tasks.generate_receipt",
        args=[dossier_id],
    )


@dataclass
class SubmissionRecord:
    at: object  # aware datetime
    actor_id: int | None
    sha256: str
    scheme: str
    seq: int


def submission_record(dossier) -> SubmissionRecord | None:
    """The last ``submit`` event of the dossier in the audit trail (None if never submitted)."""
    event = (
        AuditEvent.objects.filter(object_type="dossiers.dossier", object_id=str(dossier.pk), action="submit")
        .order_by("-seq")
        .first()
    )
    if event is None:
        return None
    content = audit.event_payload(event).get("data", {}).get("submitted_content") or {}
    return SubmissionRecord(
        at=event.created_at,
        actor_id=event.actor_id,
        sha256=content.get("sha256", ""),
        scheme=content.get("scheme", SCHEME),
        seq=event.seq,
    )


def receipt_context(dossier, record: SubmissionRecord) -> dict:
    submitted = timezone.localtime(dossier.submitted_at or record.at)
    texts = campaign_texts(dossier.campaign)  # set by an administrator per campaign
    return {
        "fund_name": getattr(settings, "FJJ_FUND_NAME", "Fonds Jumelages Jeunesse"),
        "authority": texts.get("authority") or FUND_AUTHORITY,
        "texts": texts,
        "reference": dossier.reference,
        "title": dossier.title,
        "commune_name": dossier.commune.name,
        "commune_code": dossier.commune.code,
        "campaign_name": dossier.campaign.name,
        "submitted_at": submitted,
        "requested_amount": dossier.requested_amount,
        "sha256": record.sha256,
        "scheme": record.scheme,
        "audit_seq": record.seq,
        "generated_at": clock.localnow(),
    }


def render_receipt_pdf(context: dict) -> bytes:
    return write_pdf(render_to_string("pdf/receipt.html", context))


def ensure_receipt(dossier_id: int) -> GeneratedDocument:
    audit.catch_up()  # deferred mode: the ``submit`` event may still wait for the sequencer
    dossier = Dossier.objects.select_related("commune", "campaign").get(pk=dossier_id)
    record = submission_record(dossier)
    if record is None:
        raise ValueError(f"Le dossier {dossier.reference} n'a pas été déposé : pas de récépissé.")
    document, _ = store_once(
        GeneratedDocument.Kind.RECEIPT,
        receipt_key(dossier_id),
        lambda: render_receipt_pdf(receipt_context(dossier, record)),
        filename=f"recepisse-{dossier.reference}.pdf",
        dossier=dossier,
        audit="receipt_generated",
        payload=lambda: {
            "reference": dossier.reference,
            "kind": "receipt",
            "submitted_content_sha256": record.sha256,
        },
    )
    return document


def receipt_url(dossier_id: int) -> str:
    return settings.FJJ_SITE_URL.rstrip("/") + reverse("depot:receipt", args=[dossier_id])


def send_receipt_email(dossier_id: int, document: GeneratedDocument) -> bool:
    audit.catch_up()
    dossier = Dossier.objects.select_related("commune", "created_by").get(pk=dossier_id)
    record = submission_record(dossier)
    recipient = User.objects.filter(pk=record.actor_id).first() if record and record.actor_id else None
    recipient = recipient or dossier.created_by
    context = {
        **receipt_context(dossier, record),
        "url": receipt_url(dossier.pk),
        "document_sha256": document.sha256,
    }
    subject = f"Récépissé de dépôt du dossier {dossier.reference}"
    body = render_to_string("depot/emails/receipt.txt", context)
    return send_once(
        f"receipt-email-{dossier.pk}",
        to=recipient.email,
        subject=subject,
        body=body,
        html=text_as_html(subject, body),
        dossier=dossier,
        audit_action="receipt_sent",
        audit_payload={"reference": dossier.reference, "document": document.pk, "sha256": document.sha256},
    )
