"""« Waiting too long »: a daily check of the dossiers waiting in a staff queue for too long.

A dossier that entered its queue more than ``notifications.max_wait_working_days`` working days
ago (its campaign's rules; working days: Monday to Friday but French public holidays) is put in
the digest of the people of that queue, once per dossier and per day (the notification key).
Porteur queues are not flagged: the commune has its deadlines and reminders.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from django.utils import timezone

from fonds import clock
from fonds.formats import long_date
from fonds.referentiel.rules import setting
from fonds.ui import worklist

from .service import dossier_line, notify


def easter(year: int) -> dt.date:
    """Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return dt.date(year, month, day + 1)


@lru_cache(maxsize=64)
def public_holidays(year: int) -> frozenset[dt.date]:
    """The eleven French public holidays of metropolitan France (Code du travail, L3133-1)."""
    sunday = easter(year)
    fixed = [(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)]
    moving = [sunday + dt.timedelta(days=1), sunday + dt.timedelta(days=39), sunday + dt.timedelta(days=50)]
    return frozenset([dt.date(year, m, d) for m, d in fixed] + moving)


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in public_holidays(day.year)


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when ``end <= start``)."""
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        count += is_working_day(day)
    return count


def flag_waiting(today: dt.date | None = None) -> int:
    """Put each dossier waiting too long in its queue's people's digest; returns notifications made."""
    today = today or clock.today()
    # a first, wide cut (the smallest threshold a campaign may set is 1 working day)
    rows = worklist.waiting_since(timezone.make_aware(dt.datetime.combine(today, dt.time.min)))
    made, limits = 0, {}
    for row in rows:
        dossier, people = row["dossier"], row["people"]
        if not people:
            continue
        key = (dossier.campaign_id, dossier.rules_version)
        if key not in limits:  # the rules each dossier follows (see Dossier.rules), read once
            limits[key] = int(setting(dossier.rules.params, "notifications", "max_wait_working_days"))
        limit = limits[key]
        since = timezone.localdate(row["since"])
        waited = working_days_between(since, today)
        if waited <= limit:
            continue
        body = (
            f"{dossier_line(dossier)}\n"
            f"Dans la file depuis le {long_date(since)} : {waited} jours ouvrés (seuil : {limit})."
        )
        made += len(
            notify(
                "waiting_too_long",
                dossier=dossier,
                users=people,
                context={"body": body},
                key=f"{dossier.pk}-{today.isoformat()}",
            )
        )
    return made
