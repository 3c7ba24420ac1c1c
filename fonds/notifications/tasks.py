"""Celery tasks of the notifications (idempotent: each email leaves once, ``send_once``)."""

from __future__ import annotations

from celery import shared_task

from .digest import send_digests
from .emails import send_notification
from .models import Notification
from .waiting import flag_waiting

#: a mail server that does not answer: retried with back-off (send_once never sends twice)
RETRY = {"autoretry_for": (OSError,), "retry_backoff": True, "max_retries": 5}


@shared_task(name="fonds.notifications.tasks.send_notification_emails", **RETRY)
def send_notification_emails(notification_ids: list[int]) -> int:
    """Email each notification to its recipient, once each (queued by ``notify`` through the outbox)."""
    notifications = Notification.objects.select_related("recipient", "dossier").filter(
        pk__in=notification_ids, recipient__is_active=True
    )
    return sum(send_notification(n) for n in notifications.order_by("pk"))


@shared_task(name="fonds.notifications.tasks.send_daily_digests", **RETRY)
def send_daily_digests() -> dict:
    """Beat (daily): one digest email per person with waiting digest notifications."""
    return send_digests()


@shared_task(name="fonds.notifications.tasks.flag_waiting_too_long")
def flag_waiting_too_long() -> int:
    """Beat (daily): dossiers waiting in a staff queue beyond the campaign's threshold."""
    return flag_waiting()
