"""Celery tasks of the front office. Idempotent: a retried task redoes nothing already done.

The account emails (invitation, password reset) are sent at most once per outbox message: the
message's id is the task id, so a redelivered task finds its ``EmailNotice``. They are not audited
one by one (the invitation itself is; a reset can be asked for by anyone), and their links are
made here, by the worker: no live link waits in the outbox table.
"""

from __future__ import annotations

import datetime as dt
import uuid

from celery import shared_task
from django.contrib.auth.tokens import default_token_generator
from django.template.loader import render_to_string
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from fonds.accounts.models import User

from .account_admin import import_jobs
from .invitations import invitation_email
from .notices import send_once
from .receipts import ensure_receipt, send_receipt_email

#: a mail server that does not answer: retried with back-off (send_once never sends twice)
RETRY = {"autoretry_for": (OSError,), "retry_backoff": True, "max_retries": 5}


def message_key(task, prefix: str) -> str:
    """``prefix-<task id>``: one email per outbox message (a direct call, without a task id, gets
    a key of its own)."""
    return f"{prefix}-{task.request.id or uuid.uuid4()}"


@shared_task(name="fonds.depot.tasks.generate_receipt", **RETRY)
def generate_receipt(dossier_id: int) -> dict:
    """Make the receipt PDF (once) and email its link to the porteur (once)."""

    document = ensure_receipt(dossier_id)
    sent = send_receipt_email(dossier_id, document)
    return {"document": document.pk, "sha256": document.sha256, "email_sent_now": sent}


@shared_task(name="fonds.depot.tasks.send_email", bind=True, **RETRY)
def send_email(self, subject: str, body: str, to: str) -> bool:
    """A plain email, once per task id. No longer queued by the code (kept for messages queued
    before the account emails moved to their own tasks)."""
    return send_once(message_key(self, "email"), to=to, subject=subject, body=body, audit_action=None)


@shared_task(name="fonds.depot.tasks.send_invitation_email", bind=True, **RETRY)
def send_invitation_email(self, user_id: int, issued: str, expires: str, site_url: str) -> bool:
    """The invitation link issued at ``issued`` (``fonds.depot.invitations``), once per message."""

    user = User.objects.select_related("commune").filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    issued_at, expires_at = dt.datetime.fromisoformat(issued), dt.datetime.fromisoformat(expires)
    subject, body = invitation_email(user, issued=issued_at, expires=expires_at, site_url=site_url)
    key = message_key(self, "invitation")
    return send_once(key, to=user.email, subject=subject, body=body, audit_action=None)


@shared_task(name="fonds.depot.tasks.send_password_reset", bind=True, **RETRY)
def send_password_reset(
    self, user_id: int, domain: str, site_name: str, protocol: str, subject_template: str, email_template: str
) -> bool:
    """The password-reset email Django's form would send, its token made now, once per message."""

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    context = {
        "email": user.email,
        "domain": domain,
        "site_name": site_name,
        "protocol": protocol,
        "user": user,
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
    }
    subject = "".join(render_to_string(subject_template, context).splitlines())
    body = render_to_string(email_template, context)
    key = message_key(self, "password-reset")
    return send_once(key, to=user.email, subject=subject, body=body, audit_action=None)


@shared_task(name="fonds.depot.tasks.run_invitation_import", acks_late=True)
def run_invitation_import(job_id: int) -> dict:
    """Invite the accepted lines of a confirmed CSV import (resumes after the last chunk)."""
    job = import_jobs.run(job_id)
    return {"job": job.pk, "status": job.status, "done": job.done, "invited": job.invited}
