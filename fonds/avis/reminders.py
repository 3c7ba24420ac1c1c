"""Reminders before an opinion's deadline, and expiry after it (the daily beat task).

One reminder per request, ``FJJ_AVIS_REMINDER_DAYS`` days before its deadline (3 by default; 0:
none), and an expiry the day after the deadline. Each is one transaction per request with its
audit event; the emails leave through the outbox. A rerun the same day does nothing more.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction

from fonds import clock
from fonds.audit import chain as audit
from fonds.ops import outbox

from .models import AvisRequest

DEFAULT_DAYS = 3


def reminder_days() -> int:
    return int(getattr(settings, "FJJ_AVIS_REMINDER_DAYS", DEFAULT_DAYS))


def reminders_due(today: dt.date):
    """Pending requests whose deadline is within ``reminder_days()`` and not yet reminded."""
    days = reminder_days()
    if days <= 0:
        return AvisRequest.objects.none()
    return AvisRequest.objects.filter(
        status=AvisRequest.Status.PENDING,
        reminded_on__isnull=True,
        deadline__gte=today,
        deadline__lte=today + dt.timedelta(days=days),
    )


def _announce(avis: AvisRequest, action: str, email: str) -> None:
    """The system's audit event ``action`` on the request's dossier, and its ``email`` queued."""
    audit.append(
        action,
        role="system",
        obj=avis.dossier,
        payload={"avis": avis.pk, "deadline": avis.deadline.isoformat()},
    )
    outbox.enqueue("fonds.avis.tasks.send_avis_email", email, avis.pk)


def remind(pk: int, today: dt.date) -> bool:
    with transaction.atomic():
        avis = reminders_due(today).select_for_update().select_related("dossier").filter(pk=pk).first()
        if avis is None:
            return False
        avis.reminded_on = today
        avis.save(update_fields=["reminded_on"])
        _announce(avis, "avis_reminded", "reminder")
    return True


def expire(pk: int, today: dt.date) -> bool:
    with transaction.atomic():
        avis = (
            AvisRequest.objects.select_for_update()
            .select_related("dossier")
            .filter(pk=pk, status=AvisRequest.Status.PENDING, deadline__lt=today)
            .first()
        )
        if avis is None:
            return False
        avis.status = AvisRequest.Status.EXPIRED
        avis.closed_at = clock.now()
        avis.save(update_fields=["status", "closed_at"])
        _announce(avis, "avis_expired", "expired")
    return True


def run(today: dt.date | None = None) -> dict[str, int]:
    today = today or clock.today()
    reminded = sum(remind(pk, today) for pk in list(reminders_due(today).values_list("pk", flat=True)))
    overdue = AvisRequest.objects.filter(status=AvisRequest.Status.PENDING, deadline__lt=today)
    expired = sum(expire(pk, today) for pk in list(overdue.values_list("pk", flat=True)))
    return {"reminded": reminded, "expired": expired}
