"""« Waiting too long »: a dossier beyond the campaign's working days goes in its queue's digest."""

from __future__ import annotations

import datetime as dt

import pytest
from viewflow.workflow.models import Task

from fonds.notifications.models import Notification
from fonds.notifications.waiting import flag_waiting, public_holidays, working_days_between
from tests.workflows.conftest import act

pytestmark = pytest.mark.django_db

MONDAY = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _entered(dossier, moment):
    """The dossier's open task dated ``moment`` (viewflow dates its tasks on the real clock)."""
    Task.objects.filter(process__dossierprocess__dossier=dossier).update(created=moment)


def test_working_days_skip_weekends_and_french_public_holidays():
    assert dt.date(2026, 4, 6) in public_holidays(2026)  # Easter Monday
    assert dt.date(2026, 5, 14) in public_holidays(2026)  # Ascension
    # Fri 1 May 2026 (holiday) to Mon 11 May: 4, 5, 6, 7 May, then 11 (8 May is a holiday)
    assert working_days_between(dt.date(2026, 4, 30), dt.date(2026, 5, 11)) == 5


def test_dossier_waiting_beyond_the_setting_flagged_once_per_day_to_its_queue(cast, new_dossier, clock):
    clock.travel_to(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC))  # a Monday
    dossier = new_dossier()
    act(cast, dossier, "submit", "porteur")
    _entered(dossier, MONDAY)
    clock.travel_to(dt.datetime(2026, 3, 16, 9, 0, tzinfo=dt.UTC))  # 10 working days later
    assert flag_waiting() == 0
    clock.travel_to(dt.datetime(2026, 3, 17, 9, 0, tzinfo=dt.UTC))  # the 11th
    assert flag_waiting() == 2
    assert flag_waiting() == 0  # once per dossier and day
    made = Notification.objects.filter(kind="waiting_too_long")
    assert {n.recipient for n in made} == {cast.instructeur, cast.instructeur2}
    assert {n.delivery for n in made} == {"digest"}
    assert "11 jours ouvrés" in made[0].body
    clock.travel_to(dt.datetime(2026, 3, 18, 9, 0, tzinfo=dt.UTC))
    assert flag_waiting() == 2


def test_threshold_read_from_the_campaign_rules(cast, new_dossier, clock):
    clock.travel_to(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC))
    dossier = new_dossier()
    rules = dossier.campaign.rules
    rules.params = {**rules.params, "notifications": {"max_wait_working_days": 2}}
    type(rules).objects.filter(pk=rules.pk).update(params=rules.params)
    act(cast, dossier, "submit", "porteur")
    _entered(dossier, MONDAY)
    clock.travel_to(dt.datetime(2026, 3, 5, 9, 0, tzinfo=dt.UTC))  # 3 working days
    assert flag_waiting() == 2


def test_porteur_queues_are_not_flagged(cast, new_dossier, clock):
    clock.travel_to(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC))
    dossier = new_dossier()
    for name, actor in (("submit", "porteur"), ("start_instruction", "instructeur")):
        act(cast, dossier, name, actor)
    act(cast, dossier, "request_corrections", "instructeur", "Précisez le budget.")
    _entered(dossier, MONDAY)
    clock.travel_to(dt.datetime(2026, 4, 20, 9, 0, tzinfo=dt.UTC))
    assert flag_waiting() == 0
