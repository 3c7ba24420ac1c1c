"""Honest processing times: how long the *fund* took with a dossier, per stage and overall, the
time the dossier waited for the commune left out (issue 20). Pure: fed with a dossier's status
history (``Change``: when, to which status), read from the audit trail by ``processing_data``.

A status is either the fund's (counted in its stage), the commune's (``COMMUNE_WAITS``: not
counted), or outside the measure (the draft, the final statuses). A stage is *measured* once the
dossier has left it for good (it is no longer in one of its statuses nor in one of its waits):
an open stage is not a figure yet. Durations are in days; calendar days by default, or working
days (Monday to Friday, in the fund's time zone) when ``settings.FJJ_PROCESSING_WORKING_DAYS``
says so. No public-holiday calendar is kept in the environment, so public holidays count as
working days (said on the dashboard).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from fonds.dossiers.states import Status as S

DAY = 86400.0
TENTH = Decimal("0.1")


@dataclass(frozen=True)
class Stage:
    key: str
    label: str
    statuses: frozenset  # the fund's statuses, counted
    waits: frozenset = frozenset()  # the commune's statuses within the stage, not counted


STAGES = (
    Stage(
        "instruction",
        "Recevabilité et instruction (du dépôt à la fin de l'instruction)",
        frozenset({S.SUBMITTED, S.IN_INSTRUCTION}),
        frozenset({S.CORRECTIONS_REQUESTED}),
    ),
    Stage(
        "comite",
        "Comité (de la fin de l'instruction à la décision, liste complémentaire comprise)",
        frozenset({S.INSTRUCTED, S.IN_COMMITTEE, S.WAITLISTED}),
    ),
    Stage(
        "avance",
        "Versement de l'avance (de la convention acceptée au versement)",
        frozenset({S.AGREEMENT_SIGNED}),
    ),
    Stage(
        "solde",
        "Solde (du rapport final déposé au solde ou à la demande de reversement)",
        frozenset({S.REPORT_SUBMITTED}),
    ),
)
STAGE_KEYS = tuple(s.key for s in STAGES)

#: the overall figures: ``decision`` = instruction + comité (from submission to the committee's
#: decision), ``total`` = every stage (measured once the dossier is in a final status)
OVERALL = (
    ("decision", "Du dépôt à la décision, hors attente de la commune", ("instruction", "comite")),
    ("total", "Du dépôt à la fin du dossier, hors attente de la commune", STAGE_KEYS),
)
MEASURES = (*((s.key, s.label) for s in STAGES), *((key, label) for key, label, _ in OVERALL))

#: the statuses in which the dossier waits for the commune, and what for
COMMUNE_WAITS = {
    S.CORRECTIONS_REQUESTED: "ses corrections",
    S.APPROVED: "l'acceptation de la convention",
    S.ADVANCE_PAID: "le voyage et son rapport final",
    S.RECOVERY_PENDING: "le reversement demandé",
}
FINAL = frozenset(
    {
        S.INELIGIBLE,
        S.CLOSED_WITHOUT_FOLLOW_UP,
        S.WITHDRAWN,
        S.REJECTED,
        S.LAPSED,
        S.CLOSED,
        S.RENOUNCED,
    }
)
_STAGE_OF = {status: stage.key for stage in STAGES for status in stage.statuses}
_WAIT_OF = {status: stage.key for stage in STAGES for status in stage.waits}


@dataclass(frozen=True)
class Change:
    """The dossier entered ``status`` at ``at`` (an aware date-time)."""

    at: dt.datetime
    status: str


@dataclass
class Times:
    """One dossier's figures, in days: ``days[key]`` for every measured stage and overall figure
    (``MEASURES`` keys); ``waited`` the days spent waiting for the commune (not counted)."""

    days: dict = field(default_factory=dict)
    waited: float = 0.0


# ---- durations -----------------------------------------------------------------------------


def _weekdays_between(first: dt.date, stop: dt.date) -> int:
    """Monday-to-Friday days in ``[first, stop)``."""
    n = (stop - first).days
    if n <= 0:
        return 0
    weeks, rest = divmod(n, 7)
    start = first.weekday()
    return weeks * 5 + sum(1 for i in range(rest) if (start + i) % 7 < 5)


def duration(start: dt.datetime, end: dt.datetime, *, working_days: bool = False, tz: str = "UTC") -> float:
    """Days from ``start`` to ``end`` (0 if not after). Working days: only the hours falling on a
    Monday to Friday of the wall clock of ``tz`` count."""
    if end <= start:
        return 0.0
    if not working_days:
        return (end - start).total_seconds() / DAY
    zone = ZoneInfo(tz)
    s = start.astimezone(zone).replace(tzinfo=None)
    e = end.astimezone(zone).replace(tzinfo=None)
    if s.date() == e.date():
        return (e - s).total_seconds() / DAY if s.weekday() < 5 else 0.0
    seconds = 0.0
    if s.weekday() < 5:
        seconds += (dt.datetime.combine(s.date() + dt.timedelta(days=1), dt.time()) - s).total_seconds()
    if e.weekday() < 5:
        seconds += (e - dt.datetime.combine(e.date(), dt.time())).total_seconds()
    seconds += _weekdays_between(s.date() + dt.timedelta(days=1), e.date()) * DAY
    return seconds / DAY


# ---- one dossier ---------------------------------------------------------------------------


def _stage_left(key: str, current: str) -> bool:
    """The dossier, now in ``current``, has left stage ``key`` for good."""
    if current in FINAL:
        return True
    here = _STAGE_OF.get(current) or _WAIT_OF.get(current)
    if here is None:  # a wait between stages (convention, report, recovery) or the draft
        order = {S.APPROVED: 2, S.ADVANCE_PAID: 3, S.RECOVERY_PENDING: 4, S.DRAFT: 0}
        return STAGE_KEYS.index(key) < order.get(current, 0)
    return STAGE_KEYS.index(key) < STAGE_KEYS.index(here)


def dossier_times(
    history: Sequence[Change], now: dt.datetime, *, working_days: bool = False, tz: str = "UTC"
) -> Times:
    """The fund's time per stage for one dossier whose status changes are ``history`` (any
    order; the draft before the first change). Only stages the dossier went through and left are
    in ``days``; ``decision`` once the committee decided (or the dossier ended before it, e.g.
    declared ineligible), ``total`` once the dossier is in a final status."""
    changes = sorted(history, key=lambda c: c.at)
    times = Times()
    if not changes:
        return times
    spent = {key: 0.0 for key in STAGE_KEYS}
    entered: set[str] = set()
    for here, after in zip(changes, [*changes[1:], None], strict=True):
        end = after.at if after is not None else now
        days = duration(here.at, end, working_days=working_days, tz=tz)
        stage = _STAGE_OF.get(here.status)
        if stage is not None:
            spent[stage] += days
            entered.add(stage)
        elif here.status in COMMUNE_WAITS:
            times.waited += days
    current = changes[-1].status
    for key in STAGE_KEYS:
        if key in entered and _stage_left(key, current):
            times.days[key] = spent[key]
    for key, _, parts in OVERALL:
        done = all(p in times.days or p not in entered for p in parts) and any(p in entered for p in parts)
        if key == "total":
            done = done and current in FINAL
        elif done:
            done = "comite" in times.days or current in FINAL
        if done:
            times.days[key] = sum(spent[p] for p in parts if p in entered)
    return times


# ---- statistics ----------------------------------------------------------------------------


def _tenth(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(TENTH, ROUND_HALF_UP)


def percentile(values: Sequence[float], share: float) -> float:
    """The ``share`` percentile (0–1) by linear interpolation between closest ranks (the same as
    ``statistics.quantiles(method="inclusive")``); the value itself for a single value."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * share
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(values: Sequence[float]) -> dict:
    """``{"dossiers": n, "median": Decimal | None, "p90": Decimal | None}`` (days, one decimal)."""
    if not values:
        return {"dossiers": 0, "median": None, "p90": None}
    return {
        "dossiers": len(values),
        "median": _tenth(statistics.median(values)),
        "p90": _tenth(percentile(values, 0.9)),
    }


def table(items: Iterable[tuple[object, Times]]) -> dict:
    """Group ``(group key, Times)`` pairs: ``{group: [{"measure", "label", "dossiers", "median",
    "p90"} for each of MEASURES]}``, groups in first-seen order."""
    grouped: dict = {}
    for group, times in items:
        bucket = grouped.setdefault(group, {key: [] for key, _ in MEASURES})
        for key, days in times.days.items():
            bucket[key].append(days)
    return {
        group: [{"measure": key, "label": label, **summary(bucket[key])} for key, label in MEASURES]
        for group, bucket in grouped.items()
    }
