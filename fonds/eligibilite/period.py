"""The campaign's activity period, as E5 reads it: from the day after the earliest committee
date for ``params["deadlines"]["activity_period_months"]`` months, else the campaign's stored
period when no committee date is announced. Why the earliest date: docs/stages.md (Activity
period)."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

#: where the period comes from (stored with E5's verdict)
FROM_COMMITTEE = "committee_date"
FROM_CAMPAIGN = "campaign_dates"


@dataclass(frozen=True)
class ActivityPeriod:
    first: dt.date  # first day a project may start
    last: dt.date  # last day a project may end
    basis: str  # FROM_COMMITTEE or FROM_CAMPAIGN
    committee_date: dt.date | None
    months: int | None

    def contains(self, day: dt.date) -> bool:
        return self.first <= day <= self.last


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by ``months`` calendar months, clamped to the last day of the target month."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def committee_dates(campaign) -> list[dt.date]:
    """The campaign's committee dates, sorted (entries that are not ISO dates are ignored)."""
    out = []
    for value in campaign.committee_dates or []:
        try:
            out.append(dt.date.fromisoformat(str(value)[:10]))
        except ValueError:
            continue
    return sorted(out)


def activity_period(campaign, ruleset) -> ActivityPeriod:
    """The period E5 checks a project's dates against (see the module's docstring)."""
    dates = committee_dates(campaign)
    if dates:
        committee = dates[0]
        months = int(ruleset.params["deadlines"]["activity_period_months"])
        first, last = committee + dt.timedelta(days=1), add_months(committee, months)
        return ActivityPeriod(first, last, FROM_COMMITTEE, committee, months)
    return ActivityPeriod(campaign.activity_start, campaign.activity_end, FROM_CAMPAIGN, None, None)
