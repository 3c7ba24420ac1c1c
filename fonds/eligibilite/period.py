"""The campaign's activity period, as E5 reads it: where a project's first and last day must lie.

The règlement: "inside the campaign's activity period (by default the 12 months after the
campaign's committee date: a campaign setting, read by the rule)". The setting is
``params["deadlines"]["activity_period_months"]`` of the campaign's rule set (12 by default, in
``fonds/referentiel/rules.py``); the anchor is the campaign's committee date
(``Campaign.committee_dates``, ISO dates):

    period = committee date + 1 day  …  committee date + ``activity_period_months`` months

(a month added to the 31st ends on the last day of a shorter month: 31 Jan + 1 month = 28/29 Feb).

**Several committee dates: the earliest is used.** One period per campaign, the same for every
applicant and known when the dossier is submitted (E5 runs at submission, before any dossier is on
an agenda); the first committee is the one the call is built around — later dates serve deferred
items and the waiting list — and anchoring on a later one would forbid projects funded by the
first committee from starting in the months in between.

**No committee date announced**: the campaign's stored period (``activity_start`` ..
``activity_end``, entered by the administrator) is used, there being nothing to anchor on.
"""

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
