"""Celery tasks of the front office. Idempotent: a retried task redoes nothing already done."""
from __future__ import annotations

from celery import shared_task


@shared_task(name="fonds.depot.tasks.generate_receipt", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def generate_receipt(dossier_id: int) -> dict:
    """Make the receipt PDF (once) and email its link to the porteur (once)."""
    from .receipts import ensure_receipt, send_receipt_email

    document = ensure_receipt(dossier_id)
    sent = send_receipt_email(dossier_id, document)
    return {"document": document.pk, "sha256": document.sha256, "email_sent_now": sent}


@shared_task(name="fonds.depot.tasks.send_email", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_email(subject: str, body: str, to: str) -> None:
    """A plain email (invitation, password reset): failures are retried by Celery."""
    from django.conf import settings
    from django.core.mail import send_mail

    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to])
