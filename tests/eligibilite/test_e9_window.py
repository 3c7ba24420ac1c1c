"""E9 — submitted inside the campaign window (opens_at..closes_at, inclusive)."""

import datetime as dt

from fonds.dossiers.models import Dossier

from .conftest import PARIS, check


def test_e9_inside_window_passes(dossier):
    assert check("E9", dossier).result == "pass"


def test_e9_at_opening_instant_passes(dossier):
    assert check("E9", dossier, at=dt.datetime(2030, 1, 15, 9, 0, tzinfo=PARIS)).result == "pass"


def test_e9_one_second_before_opening_fails(dossier):
    outcome = check("E9", dossier, at=dt.datetime(2030, 1, 15, 8, 59, 59, tzinfo=PARIS))
    assert outcome.result == "fail"
    assert "15/01/2030 à 09:00" in outcome.explanation


def test_e9_at_closing_instant_passes(dossier):
    assert check("E9", dossier, at=dt.datetime(2030, 3, 31, 23, 59, 59, tzinfo=PARIS)).result == "pass"


def test_e9_after_closing_fails(dossier):
    outcome = check("E9", dossier, at=dt.datetime(2030, 4, 1, 0, 0, 0, tzinfo=PARIS))
    assert outcome.result == "fail"
    assert "clos" in outcome.explanation


def test_e9_submitted_dossier_judged_on_its_submission_time(dossier):
    Dossier.objects.filter(pk=dossier.pk).update(submitted_at=dt.datetime(2030, 3, 30, 12, 0, tzinfo=PARIS))
    outcome = check("E9", dossier, at=dt.datetime(2030, 5, 2, 9, 0, tzinfo=PARIS))
    assert outcome.result == "pass"
    assert outcome.data["moment"].startswith("2030-03-30")
