"""Règlement: the final report is due within 2 months of the project's end, and not before that end
(the trip must have happened); its actual dates are coherent (first ≤ last, neither in the future).
Time moves with the ``clock`` fixture."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from fonds.audit.models import AuditEvent
from fonds.dossiers.services import TransitionRefused, perform
from fonds.dossiers.states import Status
from fonds.suivi.models import FinalReport
from fonds.suivi.report_dates import report_date_refusal
from fonds.suivi.services import save_report_draft
from tests.factories import PDF_BYTES
from tests.french import french_date

pytestmark = pytest.mark.django_db
D = Decimal
DAY = dt.timedelta(days=1)
LINES = [
    {"kind": "expense", "category": "travel", "label": "Train", "amount": D("6000.00"), "eligible": True},
    {"kind": "expense", "category": "accommodation", "label": "", "amount": D("4000.00"), "eligible": True},
    {"kind": "income", "category": "own_share", "label": "", "amount": D("2000.00"), "eligible": False},
]


def file_draft(dossier, porteur, *, start, end):
    """A complete draft declaring the actual first and last days ``start`` and ``end``."""
    fields = {
        "start_date": start,
        "end_date": end,
        "youth_ages": [14, 15, 15, 16, 17, 17, 18, 19],
        "leader_ages": [35, 42],
        "nights": 8,
        "nights_hosted": 4,
        "activity_report": "Une semaine d'échanges avec nos jeunes jumeaux.",
    }
    return save_report_draft(
        dossier, by=porteur, fields=fields, lines=LINES, participant_list=("liste.pdf", PDF_BYTES)
    )


def test_final_report_refused_before_project_end(cast, advance_paid, clock):
    end = advance_paid.end_date
    clock.travel_to(end - DAY)  # the trip is under way: its last day is tomorrow
    file_draft(
        advance_paid, cast.porteur, start=advance_paid.start_date, end=end - DAY
    )  # a draft may be written
    before = AuditEvent.objects.count()
    with pytest.raises(TransitionRefused) as refused:
        perform(advance_paid, "submit_report", by=cast.porteur)
    assert (
        refused.value.kind == "too_early"
        and refused.value.http_status == 409
        and refused.value.rules == ["project_not_ended"]
    )
    assert (
        f"à partir du {end:%d/%m/%Y}" in refused.value.message
        and "le voyage doit avoir eu lieu" in refused.value.message
    )
    advance_paid.refresh_from_db()
    assert advance_paid.status == Status.ADVANCE_PAID and AuditEvent.objects.count() == before
    assert FinalReport.objects.get(dossier=advance_paid).submitted_at is None
    clock.travel_to(end)  # the project's last day: the trip has happened
    perform(advance_paid, "submit_report", by=cast.porteur)
    assert advance_paid.status == Status.REPORT_SUBMITTED


def test_final_report_refused_with_actual_end_in_future(cast, advance_paid, clock):
    end = advance_paid.end_date
    clock.travel_to(end + DAY)  # planned end passed, but the trip was extended by three days
    with pytest.raises(ValidationError) as refused:
        file_draft(advance_paid, cast.porteur, start=advance_paid.start_date, end=end + 3 * DAY)
    assert (
        "Le dernier jour effectif ne peut pas être dans le futur" in refused.value.message_dict["end_date"][0]
    )
    assert (
        not FinalReport.objects.exists()
        and not AuditEvent.objects.filter(action="final_report_saved").exists()
    )
    # the rule the filing applies: an actual last day after today refuses, from that day on it passes
    report = FinalReport(dossier=advance_paid, start_date=advance_paid.start_date, end_date=end + 3 * DAY)
    refusal = report_date_refusal(advance_paid, report, today=end + 2 * DAY)
    assert refusal.kind == "too_early" and refusal.rule == "actual_end_in_future"
    assert f"à partir du {end + 3 * DAY:%d/%m/%Y}" in refusal.message
    assert report_date_refusal(advance_paid, report, today=end + 3 * DAY) is None
    clock.travel_to(end + 3 * DAY)
    file_draft(advance_paid, cast.porteur, start=advance_paid.start_date, end=end + 3 * DAY)
    perform(advance_paid, "submit_report", by=cast.porteur)
    assert advance_paid.status == Status.REPORT_SUBMITTED


def test_final_report_actual_dates_must_be_coherent(cast, advance_paid, clock):
    clock.travel_to(advance_paid.end_date + DAY)
    with pytest.raises(ValidationError) as reversed_dates:
        file_draft(advance_paid, cast.porteur, start=advance_paid.end_date, end=advance_paid.start_date)
    assert "postérieur ou égal au premier jour" in reversed_dates.value.message_dict["end_date"][0]
    with pytest.raises(ValidationError) as start_ahead:
        file_draft(advance_paid, cast.porteur, start=clock.today() + DAY, end=None)
    assert (
        "Le premier jour effectif ne peut pas être dans le futur"
        in start_ahead.value.message_dict["start_date"][0]
    )
    assert not FinalReport.objects.exists()


def test_report_pages_say_from_which_date_the_report_can_be_filed(client, cast, advance_paid, clock):
    end = advance_paid.end_date
    client.force_login(cast.porteur)
    home = client.get(reverse("suivi:dossier", args=[advance_paid.pk])).content.decode()
    assert f"il pourra être déposé à partir du {end:%d/%m/%Y}" in home
    url = reverse("suivi:report", args=[advance_paid.pk])
    html = client.get(url).content.decode()
    assert f"il pourra être déposé <strong>à partir du {french_date(end)}</strong>" in html
    assert (
        f'value="{advance_paid.start_date.isoformat()}"' not in html
    )  # future dates are not prefilled as actual
    clock.travel_to(end - DAY)
    file_draft(advance_paid, cast.porteur, start=advance_paid.start_date, end=end - DAY)
    html = client.get(url).content.decode()
    assert "ne peut pas être déposé avant la fin du projet" in html
    submit = reverse("suivi:report-submit", args=[advance_paid.pk])
    assert submit not in html  # no « Déposer » button before the date
    page = client.get(submit).content.decode()
    assert "ne peut pas être déposé avant la fin du projet" in page and 'name="confirm"' not in page
    response = client.post(submit, {"confirm": "on"})
    assert response.status_code == 409 and f"à partir du {end:%d/%m/%Y}" in response.content.decode()
    advance_paid.refresh_from_db()
    assert advance_paid.status == Status.ADVANCE_PAID
    clock.travel_to(end)
    assert submit in client.get(url).content.decode()
    assert client.post(submit, {"confirm": "on"}).status_code == 302


def test_report_form_refuses_an_actual_end_in_the_future_and_keeps_the_data(
    client, cast, advance_paid, clock
):
    clock.travel_to(advance_paid.end_date + DAY)
    client.force_login(cast.porteur)
    ahead = clock.today() + 2 * DAY
    response = client.post(
        reverse("suivi:report", args=[advance_paid.pk]),
        {
            "start_date": advance_paid.start_date.isoformat(),
            "end_date": ahead.isoformat(),
            "youth_ages": "14, 15",
            "leader_ages": "40",
            "nights": "8",
            "nights_hosted": "4",
            "activity_report": "Texte conservé",
            "depenses-TOTAL_FORMS": "0",
            "depenses-INITIAL_FORMS": "0",
            "depenses-MIN_NUM_FORMS": "0",
            "depenses-MAX_NUM_FORMS": "60",
            "recettes-TOTAL_FORMS": "0",
            "recettes-INITIAL_FORMS": "0",
            "recettes-MIN_NUM_FORMS": "0",
            "recettes-MAX_NUM_FORMS": "60",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400 and "Le dernier jour effectif ne peut pas être dans le futur" in html
    assert f'value="{ahead.isoformat()}"' in html and "Texte conservé" in html
    assert not FinalReport.objects.exists()


def test_api_refuses_the_report_before_project_end_with_409(cast, advance_paid, clock):
    clock.travel_to(advance_paid.end_date - DAY)
    file_draft(advance_paid, cast.porteur, start=advance_paid.start_date, end=advance_paid.end_date - DAY)
    api = APIClient()
    api.force_authenticate(cast.porteur)
    response = api.post(f"/api/v1/dossiers/{advance_paid.pk}/transitions/submit_report/", {}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "too_early" and body["rules"] == ["project_not_ended"]
    assert f"à partir du {advance_paid.end_date:%d/%m/%Y}" in body["detail"]
    advance_paid.refresh_from_db()
    assert advance_paid.status == Status.ADVANCE_PAID
