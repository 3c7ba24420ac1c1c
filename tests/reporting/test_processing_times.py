"""Honest processing times on hand-built histories (issue 20): the fund's time only, the time
the dossier waited for the commune left out; calendar days unless working days are asked for."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from fonds.dossiers.models import Dossier
from fonds.dossiers.services import perform
from fonds.dossiers.states import Forum, Status
from fonds.instruction.testing import ready_for_completion
from fonds.reporting import decisions, processing_data
from fonds.reporting.processing_times import (
    Change,
    dossier_times,
    duration,
    percentile,
    summary,
    table,
)
from fonds.suivi.testing import travel_after_project
from tests.factories import make_dossier, make_user

UTC = dt.UTC
#: Monday 2 March 2026, 09:00 UTC
MONDAY = dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def day(n: float) -> dt.datetime:
    return MONDAY + dt.timedelta(days=n)


def history(*steps: tuple[float, str]) -> list[Change]:
    return [Change(day(n), status) for n, status in steps]


def test_a_correction_round_of_ten_days_is_not_counted_in_the_instruction():
    h = history(
        (0, "submitted"),
        (2, "in_instruction"),
        (5, "corrections_requested"),
        (15, "in_instruction"),  # the commune answered after 10 days
        (20, "instructed"),
    )
    times = dossier_times(h, now=day(30))
    assert times.days["instruction"] == 10.0  # 2 + 3 + 5, not 20
    assert times.waited == 10.0


def test_without_the_correction_round_the_same_dossier_takes_the_same_fund_time():
    with_round = history(
        (0, "submitted"), (5, "corrections_requested"), (15, "in_instruction"), (20, "instructed")
    )
    without = history((0, "submitted"), (5, "in_instruction"), (10, "instructed"))
    assert (
        dossier_times(with_round, now=day(40)).days["instruction"]
        == dossier_times(without, now=day(40)).days["instruction"]
    )


def test_a_weekend_counts_like_any_day_by_default():
    friday = dt.datetime(2026, 3, 6, 9, 0, tzinfo=UTC)
    monday = friday + dt.timedelta(days=3)
    assert duration(friday, monday) == 3.0


def test_with_working_days_a_weekend_does_not_count():
    friday = dt.datetime(2026, 3, 6, 9, 0, tzinfo=UTC)
    monday = friday + dt.timedelta(days=3)
    assert duration(friday, monday, working_days=True) == 1.0
    saturday = dt.datetime(2026, 3, 7, 10, 0, tzinfo=UTC)
    assert duration(saturday, saturday + dt.timedelta(hours=20), working_days=True) == 0.0


def test_working_days_are_counted_on_the_funds_clock():
    # Friday 23:30 UTC is already Saturday 00:30 in Paris: nothing counts until Monday
    friday_night = dt.datetime(2026, 3, 6, 23, 30, tzinfo=UTC)
    monday_paris_midnight = dt.datetime(2026, 3, 8, 23, 0, tzinfo=UTC)
    assert duration(friday_night, monday_paris_midnight, working_days=True, tz="Europe/Paris") == 0.0
    assert duration(friday_night, monday_paris_midnight, working_days=True, tz="UTC") > 0.0


def test_two_full_weeks_are_ten_working_days():
    assert duration(day(0), day(14), working_days=True) == 10.0


def test_the_instruction_measured_in_working_days_skips_the_weekends():
    h = history((0, "submitted"), (7, "in_instruction"), (14, "instructed"))
    assert dossier_times(h, now=day(20), working_days=True).days["instruction"] == 10.0


def test_a_stage_still_open_is_not_a_figure_yet():
    h = history((0, "submitted"), (3, "in_instruction"))
    times = dossier_times(h, now=day(50))
    assert "instruction" not in times.days
    assert "decision" not in times.days


def test_a_dossier_waiting_for_its_corrections_has_not_left_the_instruction():
    h = history((0, "submitted"), (3, "corrections_requested"))
    assert dossier_times(h, now=day(50)).days == {}


def test_the_wait_for_the_convention_and_for_the_final_report_is_the_communes():
    h = history(
        (0, "submitted"),
        (1, "in_instruction"),
        (11, "instructed"),
        (20, "in_committee"),
        (25, "approved"),  # the commune takes 30 days to accept its convention
        (55, "agreement_signed"),
        (60, "advance_paid"),  # the trip and the final report: 120 days
        (180, "report_submitted"),
        (190, "closed"),
    )
    times = dossier_times(h, now=day(400))
    assert times.days == {
        "instruction": 11.0,
        "comite": 14.0,
        "avance": 5.0,
        "solde": 10.0,
        "decision": 25.0,
        "total": 40.0,
    }
    assert times.waited == 150.0


def test_the_decision_delay_is_known_once_the_committee_has_decided():
    h = history((0, "submitted"), (1, "in_instruction"), (11, "instructed"), (20, "approved"))
    times = dossier_times(h, now=day(21))
    assert times.days["decision"] == 20.0
    assert "total" not in times.days  # the dossier is not finished


def test_a_dossier_declared_ineligible_is_decided_at_the_end_of_its_instruction():
    h = history((0, "submitted"), (1, "in_instruction"), (4, "ineligible"))
    times = dossier_times(h, now=day(21))
    assert times.days == {"instruction": 4.0, "decision": 4.0, "total": 4.0}


def test_the_draft_before_submission_is_not_the_funds_time():
    h = history((-30, "draft"), (0, "submitted"), (2, "in_instruction"), (4, "instructed"))
    assert dossier_times(h, now=day(10)).days["instruction"] == 4.0


def test_the_median_and_the_ninetieth_percentile_of_a_group():
    values = [float(n) for n in range(1, 11)]  # 1 … 10 days
    figures = summary(values)
    assert figures == {"dossiers": 10, "median": Decimal("5.5"), "p90": Decimal("9.1")}
    assert percentile([4.0], 0.9) == 4.0
    assert summary([]) == {"dossiers": 0, "median": None, "p90": None}


def test_figures_are_grouped_per_campaign_or_per_team():
    fast = dossier_times(history((0, "submitted"), (2, "instructed")), now=day(9))
    slow = dossier_times(history((0, "submitted"), (8, "instructed")), now=day(9))
    rows = table([("A", fast), ("A", slow), ("B", slow)])
    instruction_a = next(r for r in rows["A"] if r["measure"] == "instruction")
    instruction_b = next(r for r in rows["B"] if r["measure"] == "instruction")
    assert (instruction_a["dossiers"], instruction_a["median"]) == (2, Decimal("5.0"))
    assert (instruction_b["dossiers"], instruction_b["median"]) == (1, Decimal("8.0"))


# ---- read from the audit trail, shown on the dashboard and in the decision export ----------


@pytest.fixture
def corrected(clock):
    """A dossier submitted, taken into instruction 2 days later, sent back for corrections after
    3 more days, answered 10 days later and instructed 5 days after that — through the real
    services, the clock moved between them."""
    clock.travel_to(dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    instructor = make_user("instructeur")
    dossier = make_dossier()
    perform(dossier, "submit", by=dossier.created_by)
    clock.advance(days=2)
    perform(dossier, "start_instruction", by=instructor)
    clock.advance(days=3)
    perform(
        dossier,
        "request_corrections",
        by=instructor,
        motivation="Pièce manquante",
        data={"fields": ["objectives"], "documents": []},
    )
    clock.advance(days=10)
    perform(dossier, "resubmit", by=dossier.created_by)
    clock.advance(days=5)
    opinion = ready_for_completion(dossier, by=instructor)
    perform(dossier, "complete_instruction", by=instructor, data={"opinion": opinion})
    clock.advance(days=1)
    return dossier


@pytest.mark.django_db
def test_the_audit_trail_gives_each_dossier_its_status_history(corrected):
    history = processing_data.histories([str(corrected.pk)])[corrected.pk]
    assert [c.status for c in history] == [
        "submitted",
        "in_instruction",
        "corrections_requested",
        "in_instruction",
        "instructed",
    ]


@pytest.mark.django_db
def test_each_change_is_dated_to_the_microsecond_of_its_event(clock):
    """PostgreSQL reads the moments as seconds since 1970 (``sql.timestamp``): none may move."""
    clock.travel_to(dt.datetime(2026, 3, 2, 9, 0, 0, 999_999, tzinfo=UTC), freeze=True)
    instructor = make_user("instructeur")
    dossier = make_dossier()
    perform(dossier, "submit", by=dossier.created_by)
    clock.advance(days=3, microseconds=123_457)
    perform(dossier, "start_instruction", by=instructor)
    history = processing_data.histories([str(dossier.pk)])[dossier.pk]
    assert [c.at for c in history] == [
        dt.datetime(2026, 3, 2, 9, 0, 0, 999_999, tzinfo=UTC),
        dt.datetime(2026, 3, 5, 9, 0, 1, 123_456, tzinfo=UTC),
    ]


@pytest.mark.django_db
def test_a_settlement_is_read_as_the_status_it_reached_recovery_or_closed(clock):
    """``settle`` decides its status as it runs (a negative balance asks for a recovery): the
    history reads it from the event, where every other transition's is the state machine's."""
    finance = make_user("finance")
    owing, even = make_dossier(), make_dossier()
    travel_after_project(clock, owing)
    travel_after_project(clock, even)
    Dossier.objects.filter(pk__in=[owing.pk, even.pk]).update(status=Status.REPORT_SUBMITTED)  # set-up
    perform(owing.pk, "settle", by=finance, data={"balance": "-320.50"}, forum=Forum.PAYMENTS)
    clock.advance(days=3)
    perform(owing.pk, "recover", by=finance, forum=Forum.PAYMENTS)
    perform(even.pk, "settle", by=finance, data={"balance": "0.00"}, forum=Forum.PAYMENTS)
    found = processing_data.histories([str(owing.pk), str(even.pk)])
    assert [c.status for c in found[owing.pk]] == [
        "recovery_pending",
        "closed",
    ]
    assert [c.status for c in found[even.pk]] == ["closed"]


@pytest.mark.django_db
def test_the_decision_export_gives_the_funds_time_without_the_correction_round(corrected):
    qs = Dossier.objects.filter(pk=corrected.pk)
    cols = decisions.columns(qs)
    row = dict(zip([c.key for c in cols], next(decisions.iter_rows(qs, cols)), strict=True))
    assert row["delai_instruction_jours"] == Decimal("10.0")  # 2 + 3 + 5: the 10 days waited are not
    assert row["delai_decision_jours"] is None  # the committee has not decided yet


@pytest.mark.django_db
def test_the_dashboard_gives_medians_and_ninetieth_percentiles_per_campaign_and_team(
    corrected, django_assert_max_num_queries
):
    with django_assert_max_num_queries(3):
        block = processing_data.processing(corrected.campaign_id)
    instruction = next(r for r in block["overall"] if r["measure"] == "instruction")
    assert (instruction["dossiers"], instruction["median"], instruction["p90"]) == (
        1,
        Decimal("10.0"),
        Decimal("10.0"),
    )
    assert [c["campaign"] for c in block["campaigns"]] == [corrected.campaign_id]
    assert [t["team"] for t in block["teams"]] == [corrected.commune.departement]


@pytest.mark.django_db
def test_the_dashboard_block_shows_the_processing_times_with_their_data_table(corrected, client):
    client.force_login(make_user("auditeur"))
    response = client.get(reverse("reporting:dashboard-block", args=["traitement"]) + "?partiel=1")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<caption>Délais de traitement du fonds, en jours calendaires" in html
    assert "90e centile" in html


@pytest.mark.django_db
def test_working_days_are_a_setting(corrected, settings):
    settings.FJJ_PROCESSING_WORKING_DAYS = True
    times = processing_data.send_times([corrected.pk])()[corrected.pk]
    # Paris time: Mon 2 10:00 → Wed 4 10:00: 2; Wed 4 10:00 → Sat 7 10:00: 14 h + Thu + Fri;
    # (corrections) Tue 17 10:00 → Sun 22 10:00: 14 h + Wed + Thu + Fri — 10 calendar days
    assert times.days["instruction"] == pytest.approx(2 + (14 / 24 + 2) + (14 / 24 + 3), abs=1e-3)
