"""E5 — 3 to 21 activity days; start ≥ submission + 30 days; inside the activity period."""

import datetime as dt

from fonds.dossiers.models import Dossier

from .conftest import AT, PARIS, check


def _set(dossier, **fields):
    Dossier.objects.filter(pk=dossier.pk).update(**fields)


def test_e5_default_dates_pass(dossier):
    outcome = check("E5", dossier)
    assert outcome.result == "pass"
    assert outcome.data["submission_date"] == "2030-02-15"
    assert outcome.data["earliest_start"] == "2030-03-17"


def test_e5_3_activity_days_passes(dossier):
    _set(dossier, activity_days=3)
    assert check("E5", dossier).result == "pass"


def test_e5_2_activity_days_fails(dossier):
    _set(dossier, activity_days=2)
    assert check("E5", dossier).result == "fail"


def test_e5_21_activity_days_passes(dossier):
    _set(dossier, activity_days=21, end_date=dt.date(2030, 7, 31))
    assert check("E5", dossier).result == "pass"


def test_e5_22_activity_days_fails(dossier):
    _set(dossier, activity_days=22, end_date=dt.date(2030, 7, 31))
    outcome = check("E5", dossier)
    assert outcome.result == "fail"
    assert "22" in outcome.explanation


def test_e5_missing_activity_days_fails(dossier):
    _set(dossier, activity_days=None)
    assert check("E5", dossier).result == "fail"


def test_e5_start_exactly_30_days_after_submission_passes(campaign):
    from .conftest import eligible_dossier

    dossier = eligible_dossier(campaign, start_date=dt.date(2030, 4, 10), end_date=dt.date(2030, 4, 18))
    at = dt.datetime(2030, 3, 11, 18, 0, tzinfo=PARIS)  # 11 March + 30 days = 10 April
    assert check("E5", dossier, at=at).result == "pass"


def test_e5_start_29_days_after_submission_fails(campaign):
    from .conftest import eligible_dossier

    dossier = eligible_dossier(campaign, start_date=dt.date(2030, 4, 9), end_date=dt.date(2030, 4, 18))
    at = dt.datetime(2030, 3, 11, 18, 0, tzinfo=PARIS)
    outcome = check("E5", dossier, at=at)
    assert outcome.result == "fail"
    assert "10/04/2030" in outcome.how_to_fix


def test_e5_submission_date_taken_from_submitted_at(dossier):
    """Re-checked when instruction opens, months later: the deposit date is what counts."""
    _set(dossier, submitted_at=AT)
    later = dt.datetime(2030, 6, 20, 9, 0, tzinfo=PARIS)
    outcome = check("E5", dossier, at=later)
    assert outcome.result == "pass"
    assert outcome.data["submission_date"] == "2030-02-15"


def test_e5_submission_date_in_paris_time(dossier):
    """23:30 UTC on 10 March is already 11 March in Paris."""
    _set(dossier, start_date=dt.date(2030, 4, 10), end_date=dt.date(2030, 4, 18))
    at = dt.datetime(2030, 3, 10, 23, 30, tzinfo=dt.UTC)
    outcome = check("E5", dossier, at=at)
    assert outcome.data["submission_date"] == "2030-03-11"
    assert outcome.result == "pass"


def test_e5_start_before_activity_period_fails(dossier):
    _set(dossier, start_date=dt.date(2030, 3, 25), end_date=dt.date(2030, 4, 2))
    at = dt.datetime(2030, 1, 20, 10, 0, tzinfo=PARIS)
    outcome = check("E5", dossier, at=at)
    assert outcome.result == "fail"
    assert "01/04/2030" in outcome.explanation


def test_e5_end_after_activity_period_fails(dossier):
    _set(dossier, start_date=dt.date(2031, 3, 28), end_date=dt.date(2031, 4, 3))
    assert check("E5", dossier).result == "fail"


def test_e5_end_on_last_day_of_activity_period_passes(dossier):
    _set(dossier, start_date=dt.date(2031, 3, 25), end_date=dt.date(2031, 3, 31))
    assert check("E5", dossier).result == "pass"


def test_e5_end_before_start_fails(dossier):
    _set(dossier, start_date=dt.date(2030, 7, 10), end_date=dt.date(2030, 7, 6))
    outcome = check("E5", dossier)
    assert outcome.result == "fail"
    assert "précède" in outcome.explanation
    assert outcome.data["calendar_days"] is None  # no calendar days from the 10th back to the 6th


def test_e5_missing_dates_fail(dossier):
    _set(dossier, start_date=None, end_date=None)
    assert check("E5", dossier).result == "fail"


def test_e5_one_missing_day_fails_asking_for_both(dossier):
    for missing in ("start_date", "end_date"):
        _set(dossier, **{"start_date": dt.date(2030, 7, 6), "end_date": dt.date(2030, 7, 14), missing: None})
        outcome = check("E5", dossier)
        assert outcome.result == "fail", missing
        assert outcome.explanation == "Les dates du projet (premier et dernier jour) ne sont pas indiquées."


# ---- activity days against the calendar ---------------------------------------------------------


def test_e5_activity_days_exceed_calendar_days(dossier):
    """10 activity days between a first and a last day 3 days apart: only 4 calendar days."""
    _set(dossier, start_date=dt.date(2030, 7, 6), end_date=dt.date(2030, 7, 9), activity_days=10)
    outcome = check("E5", dossier)
    assert outcome.result == "fail"
    assert outcome.data["calendar_days"] == 4
    assert "il n'y a que 4 jour(s)" in outcome.explanation and "au plus 4 jours" in outcome.how_to_fix


def test_e5_activity_days_equal_to_calendar_days_pass(dossier):
    """First and last day count: from the 6th to the 9th is (9 − 6) + 1 = 4 days."""
    _set(dossier, start_date=dt.date(2030, 7, 6), end_date=dt.date(2030, 7, 9), activity_days=4)
    assert check("E5", dossier).result == "pass"
    _set(dossier, activity_days=5)
    assert check("E5", dossier).result == "fail"


def test_e5_single_day_project_has_one_calendar_day(dossier):
    _set(dossier, start_date=dt.date(2030, 7, 6), end_date=dt.date(2030, 7, 6), activity_days=3)
    outcome = check("E5", dossier)
    assert outcome.result == "fail" and outcome.data["calendar_days"] == 1


def test_e5_single_day_project_passes_where_the_campaign_allows_one_activity_day(dossier):
    """The last day may be the first day: it does not « precede » it."""
    from .conftest import with_params

    _set(dossier, start_date=dt.date(2030, 7, 6), end_date=dt.date(2030, 7, 6), activity_days=1)
    assert check("E5", dossier, ruleset=with_params(dossier, min_activity_days=1)).result == "pass"


# ---- the campaign's activity period: the 12 months after its committee date --------------------


def _with_committee(dossier, *dates):
    from fonds.referentiel.models import Campaign

    Campaign.objects.filter(pk=dossier.campaign_id).update(committee_dates=[d.isoformat() for d in dates])


def test_e5_start_outside_activity_period(dossier):
    """Committee on 15 April 2030: projects from 16 April 2030 to 15 April 2031 — the campaign's
    stored dates (from 1 April) do not widen it."""
    _with_committee(dossier, dt.date(2030, 4, 15))
    _set(dossier, start_date=dt.date(2030, 4, 10), end_date=dt.date(2030, 4, 18))
    outcome = check("E5", dossier)
    assert outcome.result == "fail"
    assert "entre le 16/04/2030 et le 15/04/2031" in outcome.explanation
    assert "12 mois suivant le comité du 15/04/2030" in outcome.explanation
    assert (
        outcome.data["activity_period_basis"] == "committee_date"
        and outcome.data["committee_date"] == "2030-04-15"
    )


def test_e5_start_on_the_committee_date_fails_the_day_after_passes(dossier):
    _with_committee(dossier, dt.date(2030, 4, 15))
    _set(dossier, start_date=dt.date(2030, 4, 15), end_date=dt.date(2030, 4, 23))
    assert check("E5", dossier).result == "fail"
    _set(dossier, start_date=dt.date(2030, 4, 16), end_date=dt.date(2030, 4, 24))
    assert check("E5", dossier).result == "pass"


def test_e5_end_outside_activity_period(dossier):
    _with_committee(dossier, dt.date(2030, 4, 15))
    _set(dossier, start_date=dt.date(2031, 4, 8), end_date=dt.date(2031, 4, 16))
    assert check("E5", dossier).result == "fail"
    _set(dossier, start_date=dt.date(2031, 4, 7), end_date=dt.date(2031, 4, 15))
    assert check("E5", dossier).result == "pass"


def test_e5_activity_period_months_is_a_campaign_setting(dossier):
    """``deadlines.activity_period_months`` of the rule set (12 by default) is read by E5."""
    from .conftest import with_params

    _with_committee(dossier, dt.date(2030, 4, 15))
    _set(dossier, start_date=dt.date(2030, 11, 2), end_date=dt.date(2030, 11, 10))
    assert check("E5", dossier).result == "pass"
    six_months = with_params(dossier, "deadlines", activity_period_months=6)
    outcome = check("E5", dossier, ruleset=six_months)
    assert outcome.result == "fail" and outcome.data["activity_end"] == "2030-10-15"
    assert outcome.data["activity_period_months"] == 6


def test_e5_several_committee_dates_the_earliest_anchors_the_period(dossier):
    _with_committee(dossier, dt.date(2030, 9, 1), dt.date(2030, 4, 15))
    outcome = check("E5", dossier)
    assert outcome.data["committee_date"] == "2030-04-15"
    assert (outcome.data["activity_start"], outcome.data["activity_end"]) == ("2030-04-16", "2031-04-15")


def test_e5_without_committee_date_the_campaign_dates_are_the_period(dossier):
    outcome = check("E5", dossier)
    assert (
        outcome.data["activity_period_basis"] == "campaign_dates" and outcome.data["committee_date"] is None
    )
    assert (outcome.data["activity_start"], outcome.data["activity_end"]) == ("2030-04-01", "2031-03-31")


def test_e5_activity_period_month_end_is_clamped():
    from fonds.eligibilite.period import add_months

    assert add_months(dt.date(2030, 1, 31), 1) == dt.date(2030, 2, 28)
    assert add_months(dt.date(2032, 2, 29), 12) == dt.date(2033, 2, 28)
    assert add_months(dt.date(2031, 12, 15), 12) == dt.date(2032, 12, 15)


def test_e5_committee_in_january_period_ends_the_next_january(dossier):
    _with_committee(dossier, dt.date(2031, 1, 20))
    outcome = check("E5", dossier)
    assert (outcome.data["activity_start"], outcome.data["activity_end"]) == ("2031-01-21", "2032-01-20")


def test_e5_committee_date_counts_by_its_day_and_entries_not_dates_are_ignored(dossier):
    """A committee date stored with its time is read by its day; an entry that is not a date (a
    typing error kept in the campaign) neither anchors the period nor stops the check."""
    from fonds.referentiel.models import Campaign

    Campaign.objects.filter(pk=dossier.campaign_id).update(
        committee_dates=["à fixer", "2030-04-15T18:00:00+02:00", "2030-13-01"]
    )
    outcome = check("E5", dossier)
    assert outcome.data["committee_date"] == "2030-04-15"
    assert (outcome.data["activity_start"], outcome.data["activity_end"]) == ("2030-04-16", "2031-04-15")


def test_e5_activity_period_cannot_be_altered_once_computed(dossier):
    import dataclasses

    import pytest

    from fonds.eligibilite.period import activity_period

    period = activity_period(dossier.campaign, dossier.campaign.rules)
    with pytest.raises(dataclasses.FrozenInstanceError):
        period.last = period.first
