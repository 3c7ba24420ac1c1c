"""Send an email at most once per key (idempotent Celery tasks), and record it.

``send_once(key, to=…, subject=…, body=…)`` claims the ``EmailNotice`` row with a conditional
UPDATE (one worker wins), sends, marks it sent and appends an audit event (none with
``audit_action=None``). A notice already sent returns False; a failed send releases the claim.
``html`` adds an HTML alternative to the text body (the notification emails).

A claim names the Celery task that made it: the same task delivered again (its worker was killed
between the claim and the mark) takes the claim over at once instead of finding it « being sent »
and ending with nothing sent. Another task waits for ``CLAIM_TIMEOUT``.
"""

from __future__ import annotations

import datetime as dt

from celery import current_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q

from fonds import clock
from fonds.audit import chain as audit

from .models import EmailNotice

CLAIM_TIMEOUT = dt.timedelta(minutes=10)


def task_id() -> str:
    """The id of the Celery task running now ("" outside a task): the same across redeliveries."""
    request = getattr(current_task, "request", None)
    return str(getattr(request, "id", None) or "")


def send_once(
    key: str,
    *,
    to: str,
    subject: str,
    body: str,
    dossier=None,
    audit_action: str | None = "email_sent",
    audit_payload: dict | None = None,
    html: str | None = None,
) -> bool:
    """Send the email unless the notice ``key`` was already sent (or is being sent). True if sent now."""
    try:
        notice, _ = EmailNotice.objects.get_or_create(
            key=key, defaults={"to": to, "subject": subject[:200], "dossier": dossier}
        )
    except IntegrityError:  # created meanwhile by another worker
        notice = EmailNotice.objects.get(key=key)
    if notice.sent_at is not None:
        return False
    now = clock.now()
    by = task_id()
    free = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT)
    if by:
        free |= Q(claimed_by=by)
    claimed = (
        EmailNotice.objects.filter(pk=notice.pk, sent_at__isnull=True)
        .filter(free)
        .update(claimed_at=now, claimed_by=by)
    )
    if not claimed:
        return False
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to], html_message=html)
    except BaseException:
        EmailNotice.objects.filter(pk=notice.pk).update(claimed_at=None, claimed_by="")
        raise
    with transaction.atomic():
        sent_at = clock.now()
        EmailNotice.objects.filter(pk=notice.pk).update(sent_at=sent_at)
        if audit_action is None:
            return True
        audit.append(
            audit_action,
            actor=None,
            role="system",
            obj=dossier if dossier is not None else ("depot.emailnotice", notice.pk),
            payload={"key": key, "to": to, "subject": subject, **(audit_payload or {})},
            at=sent_at,
        )
    return True
