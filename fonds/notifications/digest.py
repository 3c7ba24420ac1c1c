"""The daily digest: one email per person per day listing their notifications not yet emailed.

``send_digests(day)`` reads every waiting digest notification made before the day's cut-off in
ONE query (recipient's email joined, ordered by recipient), then for each person one email
(``send_once`` keyed by person and day: a second run the same day sends nothing); the emailed
notifications are marked by one UPDATE per hundred people. Constant queries per person. A
notification made after that day's digest left waits for the next day's.
"""

from __future__ import annotations

import datetime as dt
from itertools import groupby

from django.utils import timezone

from fonds import clock

from .emails import send_digest
from .models import Notification

#: the emailed notifications are marked every this many digests (a crash in between: the next
#: day's digest lists them again, at most this many people's, rather than one UPDATE per person)
MARK_EVERY = 100
FIELDS = ("pk", "recipient_id", "recipient__email", "title", "body", "link", "created_at")


def cutoff(day: dt.date) -> dt.datetime:
    """The end of ``day`` in Paris time: what was made that day or before goes in its digest."""
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def waiting(day: dt.date):
    """The digest notifications not yet emailed, made up to the end of ``day``, by person."""
    return (
        Notification.objects.filter(
            delivery=Notification.Delivery.DIGEST,
            emailed_at__isnull=True,
            created_at__lt=cutoff(day),
            recipient__is_active=True,
        )
        .order_by("recipient_id", "created_at", "pk")
        .values(*FIELDS)
    )


def send_digests(day: dt.date | None = None) -> dict:
    """Send the digest of ``day`` (default: today, Paris time) to each person who has one."""
    day = day or clock.today()
    sent = skipped = 0
    done: list[int] = []
    rows = list(waiting(day))  # read at once: the loop writes to the same table
    for user_id, group in groupby(rows, key=lambda row: row["recipient_id"]):
        items = list(group)
        if send_digest(user_id, items[0]["recipient__email"], day, items):
            done += [item["pk"] for item in items]
            sent += 1
            if sent % MARK_EVERY == 0:
                _mark(done)
        else:  # today's digest already left (a second run): these wait for tomorrow's
            skipped += 1
    _mark(done)
    return {"day": day.isoformat(), "sent": sent, "skipped": skipped}


def _mark(pks: list[int]) -> None:
    """Mark the notifications of the digests sent so far as emailed (one UPDATE per chunk)."""
    for start in range(0, len(pks), 5000):
        Notification.objects.filter(pk__in=pks[start : start + 5000]).update(emailed_at=clock.now())
    pks.clear()
