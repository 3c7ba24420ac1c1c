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
    at = dt.datetime(2030, 3, 10, 23, 30, tzinfo=dt.timezone.utc)
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


def test_e5_missing_dates_fail(dossier):
    _set(dossier, start_date=None, end_date=None)
    assert check("E5", dossier).result == "fail"

