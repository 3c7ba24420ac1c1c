"""The commune's history on the instruction page and in the auditors' API (issue 20): every
dossier it submitted across campaigns, status, amounts approved, paid and recovered, overdue
reports — read in a constant number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from fonds import clock
from fonds.dossiers.models import Dossier
from fonds.instruction.commune_history import commune_history
from fonds.payments.models import PaymentOrder
from tests.factories import make_campaign, make_dossier, make_user

pytestmark = pytest.mark.django_db
D = Decimal


def past_dossier(world, status, *, approved=None, report_due=None, campaign=None):
    dossier = make_dossier(
        campaign=campaign or make_campaign(),
        commune=world["commune"],
        porteur=world["porteur"],
        complete=False,
    )
    Dossier.objects.filter(pk=dossier.pk).update(
        status=status, approved_amount=approved, report_due=report_due, submitted_at=clock.now()
    )
    return dossier


@pytest.fixture
def history(world):
    """The dossier in instruction, plus three earlier ones: a closed one (advance, balance and a
    recovery paid), one whose final report is 10 days late, one rejected; and a draft."""
    closed = past_dossier(world, "closed", approved=D("5000.00"))
    late = past_dossier(
        world, "advance_paid", approved=D("4000.00"), report_due=clock.today() - dt.timedelta(days=10)
    )
    rejected = past_dossier(world, "rejected")
    make_dossier(commune=world["commune"], porteur=world["porteur"], complete=False)  # a draft
    for ref, dossier, kind, amount, state in (
        ("AV-1", closed, "advance", "3750.00", "paid"),
        ("SO-1", closed, "balance", "1000.00", "paid"),
        ("RE-1", closed, "recovery", "250.00", "paid"),
        ("AV-2", late, "advance", "3000.00", "paid"),
    ):
        PaymentOrder.objects.create(reference=ref, dossier=dossier, kind=kind, amount=D(amount), state=state)
    return dict(world, closed=closed, late=late, rejected=rejected)


def test_every_submitted_dossier_of_the_commune_across_campaigns_with_its_amounts(history):
    found = commune_history(history["commune"].code, current=history["dossier"].pk)
    by_ref = {r.reference: r for r in found.rows}
    assert set(by_ref) == {history[k].reference for k in ("dossier", "closed", "late", "rejected")}
    closed = by_ref[history["closed"].reference]
    assert (closed.approved, closed.paid, closed.recovered) == (D("5000.00"), D("4750.00"), D("250.00"))
    assert by_ref[history["dossier"].reference].current
    assert found.totals == {
        "dossiers": 4,
        "approved": D("9000.00"),
        "paid": D("7750.00"),
        "recovered": D("250.00"),
        "overdue_reports": 1,
    }


def test_a_final_report_past_its_due_date_is_overdue(history):
    rows = {r.reference: r for r in commune_history(history["commune"].code).rows}
    late = rows[history["late"].reference]
    assert (late.report_overdue, late.days_overdue) == (True, 10)
    assert not rows[history["closed"].reference].report_overdue


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured)


def test_the_history_reads_in_the_same_number_of_queries_for_1_or_5_dossiers(world):
    code = world["commune"].code
    one = _queries(lambda: commune_history(code))
    for _ in range(4):
        past_dossier(world, "closed", approved=D("3000.00"))
    assert len(commune_history(code).rows) == 5
    assert _queries(lambda: commune_history(code)) == one == 2


def test_the_instruction_page_shows_the_history_in_constant_queries(client, world):
    client.force_login(world["instructeur"])
    url = reverse("instruction:dossier", args=[world["dossier"].pk])
    client.get(url)  # caches warmed
    one = _queries(lambda: client.get(url))
    others = [past_dossier(world, "closed", approved=D("3000.00")) for _ in range(4)]
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert len(captured) == one
    html = response.content.decode()
    assert "Historique de la commune" in html
    assert all(d.reference in html for d in others)
    assert "5 dossiers déposés" in html


def test_the_api_gives_auditors_the_same_history(history):
    api = APIClient()
    api.force_authenticate(make_user("auditeur"))
    url = f"/api/v1/communes/{history['commune'].code}/history/"
    body = api.get(url).json()
    assert body["commune"] == history["commune"].code
    assert body["totals"]["overdue_reports"] == 1 and body["totals"]["paid"] == "7750.00"
    assert {d["reference"] for d in body["dossiers"]} == {
        history[k].reference for k in ("dossier", "closed", "late", "rejected")
    }
    assert api.get("/api/v1/communes/99999/history/").status_code == 404
    assert api.get("/api/v1/communes/abc/history/").status_code == 404


def test_the_history_api_is_for_auditors_and_administrators_only(history):
    api = APIClient()
    url = f"/api/v1/communes/{history['commune'].code}/history/"
    for role in ("porteur", "instructeur", "comite", "finance"):
        api.force_authenticate(make_user(role))
        assert api.get(url).status_code == 403, role
    api.force_authenticate(make_user("admin"))
    assert api.get(url).status_code == 200


def test_the_history_endpoint_is_in_the_openapi_schema(client):
    schema = client.get("/api/v1/schema/").content.decode()
    assert "/api/v1/communes/{code}/history/" in schema and "CommuneHistoryRow" in schema
