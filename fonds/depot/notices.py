"""Send an email at most once per key (idempotent Celery tasks), and record it.

``send_once(key, to=…, subject=…, body=…)`` claims the ``EmailNotice`` row with a conditional
UPDATE (one worker wins), sends, marks it sent and appends an audit event (none with
``audit_action=None``). A notice already sent returns False; a failed send releases the claim.
``html`` adds an HTML alternative to the text body (the notification emails).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q

from fonds import clock
from fonds.audit import chain as audit

from .models import EmailNotice

CLAIM_TIMEOUT = dt.timedelta(minutes=10)


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
    claimed = (
        EmailNotice.objects.filter(pk=notice.pk, sent_at__isnull=True)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT))
        .update(claimed_at=now)
    )
    if not claimed:
        return False
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to], html_message=html)
    except BaseException:
        EmailNotice.objects.filter(pk=notice.pk).update(claimed_at=None)
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
