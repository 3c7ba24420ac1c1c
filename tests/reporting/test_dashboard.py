"""« Contrôle » dashboard: figures on a small data set, access per role, bounded queries, API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from fonds import clock
from fonds.comite import envelope
from fonds.comite.models import EnvelopeRelease
from fonds.payments.models import PaymentOrder
from fonds.reporting import dashboard
from tests.factories import make_campaign, make_commune, make_dossier, make_user

from .helpers import audit_path, dossier_in

pytestmark = pytest.mark.django_db
D = Decimal


def in_region(status, campaign, code, region, **extra):
    return dossier_in(
        status, campaign=campaign, commune=make_commune(code, region=region, departement=code[:2]), **extra
    )


@pytest.fixture
def world():
    """Two campaigns; campaign A: dossiers in Auvergne-Rhône-Alpes (84, départements 01 and 38)
    and Île-de-France (11, département 75)."""
    a = make_campaign(envelope=D("20000.00"))
    b = make_campaign(envelope=D("9000.00"))
    closed = in_region("closed", a, "01001", "84", approved=D("5000.00"))
    signed = in_region("agreement_signed", a, "38001", "84", approved=D("4000.00"))
    approved = in_region("approved", a, "75056", "11", approved=D("3000.00"))
    rejected = in_region("rejected", a, "01002", "84")
    submitted = in_region("submitted", a, "75101", "11")
    draft = make_dossier(campaign=a, commune=make_commune("01003", region="84", departement="01"))
    other = in_region("approved", b, "38002", "84", approved=D("8000.00"))
    PaymentOrder.objects.create(
        reference="AV-1", dossier=closed, kind="advance", amount=D("3750.00"), state="paid"
    )
    PaymentOrder.objects.create(
        reference="SO-1", dossier=closed, kind="balance", amount=D("1000.00"), state="paid"
    )
    PaymentOrder.objects.create(
        reference="RE-1", dossier=closed, kind="recovery", amount=D("250.00"), state="paid"
    )
    PaymentOrder.objects.create(
        reference="AV-2", dossier=signed, kind="advance", amount=D("3000.00"), state="ready"
    )  # not paid yet
    PaymentOrder.objects.create(
        reference="AV-3", dossier=other, kind="advance", amount=D("6000.00"), state="paid"
    )  # campaign B
    return {
        "a": a,
        "b": b,
        "closed": closed,
        "signed": signed,
        "approved": approved,
        "rejected": rejected,
        "submitted": submitted,
        "draft": draft,
        "other": other,
    }


def test_dossiers_counted_by_status(world):
    rows = {r["status"]: r["count"] for r in dashboard.statuses(world["a"].pk)["rows"]}
    assert (
        rows["closed"]
        == rows["agreement_signed"]
        == rows["approved"]
        == rows["rejected"]
        == rows["submitted"]
        == rows["draft"]
        == 1
    )
    assert rows["in_instruction"] == 0
    assert dashboard.statuses(world["a"].pk)["total"] == 6
    assert dashboard.statuses()["total"] == 7  # every campaign
    assert {r["status"]: r["count"] for r in dashboard.statuses(world["b"].pk)["rows"]}["approved"] == 1


def test_amounts_by_region_and_departement_requested_approved_paid_recovered(world):
    data = dashboard.amounts(world["a"].pk)
    regions = {r["region"]: r for r in data["regions"]}
    ara, idf = regions["84"], regions["11"]
    assert ara["region_name"] == "Auvergne-Rhône-Alpes" and idf["region_name"] == "Île-de-France"
    # requested: deposited dossiers only (the draft of 01003 does not count); make_dossier asks 6,000 €
    requested = world["closed"].requested_amount
    assert ara["dossiers"] == 3 and ara["requested"] == 3 * requested
    assert idf["dossiers"] == 2 and idf["requested"] == 2 * requested
    # approved: dossiers holding money (rejected and submitted ones have none)
    assert ara["approved"] == D("9000.00") and idf["approved"] == D("3000.00")
    # paid: advance + balance in state paid (the ready order is not); recovered: recovery paid
    assert ara["paid"] == D("4750.00") and ara["recovered"] == D("250.00")
    assert idf["paid"] == D("0.00") and idf["recovered"] == D("0.00")
    deps = {r["departement"]: r for r in data["departements"]}
    assert (
        deps["01"]["approved"] == D("5000.00")
        and deps["01"]["paid"] == D("4750.00")
        and deps["01"]["dossiers"] == 2
    )
    assert deps["38"]["approved"] == D("4000.00") and deps["38"]["paid"] == D("0.00")
    assert deps["75"]["approved"] == D("3000.00")
    assert data["total"]["approved"] == D("12000.00") and data["total"]["paid"] == D("4750.00")
    # every campaign: campaign B's approval and its paid advance join département 38
    everything = {r["departement"]: r for r in dashboard.amounts()["departements"]}
    assert everything["38"]["approved"] == D("12000.00") and everything["38"]["paid"] == D("6000.00")


def test_approval_rate_is_approved_over_decided_by_committee(world):
    data = dashboard.rate(world["a"].pk)
    # approved: closed, agreement_signed, approved (3); decided: those + rejected (4)
    assert (data["approved"], data["rejected"], data["waitlisted"], data["decided"]) == (3, 1, 0, 4)
    assert data["rate"] == D("75.0")
    lapsed = make_dossier(campaign=world["a"])
    from fonds.dossiers.models import Dossier

    Dossier.objects.filter(pk=lapsed.pk).update(status="lapsed", approved_amount=D("1000.00"))
    waitlisted = make_dossier(campaign=world["a"])
    Dossier.objects.filter(pk=waitlisted.pk).update(status="waitlisted")
    data = dashboard.rate(world["a"].pk)
    assert (data["approved"], data["decided"]) == (4, 6) and data["rate"] == D("66.7")
    assert dashboard.rate(make_campaign().pk)["rate"] is None  # nothing decided: no rate


def _path(dossier, steps, start):
    """Audit events of ``dossier``: ``steps`` = [(action, hours after start)]."""
    audit_path(dossier, [(action, start + dt.timedelta(hours=hours)) for action, hours in steps])


def test_median_time_per_stage_from_the_audit_events():
    campaign = make_campaign()
    start = clock.now() - dt.timedelta(days=100)
    # submit → start_instruction: 1, 2 and 10 days → median 2 days
    for days in (1, 2, 10):
        _path(make_dossier(campaign=campaign), [("submit", 0), ("start_instruction", 24 * days)], start)
    # instruction reopened: it ends at the last completion (3 days), the committee decides 12 h later
    _path(
        make_dossier(campaign=campaign),
        [
            ("submit", 0),
            ("start_instruction", 24),
            ("complete_instruction", 48),
            ("reopen_instruction", 60),
            ("complete_instruction", 96),
            ("schedule", 100),
            ("approve", 108),
            ("accept_agreement", 108 + 24 * 5),
            ("pay_advance", 108 + 24 * 8),
            ("submit_report", 108 + 24 * 50),
            ("settle", 108 + 24 * 68),
        ],
        start,
    )
    # a rejected dossier: complete → reject 1.5 days
    _path(
        make_dossier(campaign=campaign),
        [
            ("submit", 0),
            ("start_instruction", 24),
            ("complete_instruction", 72),
            ("reject", 108),
        ],
        start,
    )
    rows = {r["stage"]: r for r in dashboard.stages(campaign.pk)["rows"]}
    # attente: 1, 2, 10, 1, 1 days → median 1
    assert rows["attente"]["dossiers"] == 5 and rows["attente"]["median_days"] == D("1.0")
    # instruction: 3 days (reopened) and 2 days → median of an even count = mean of the middle two
    assert rows["instruction"]["dossiers"] == 2 and rows["instruction"]["median_days"] == D("2.5")
    # committee: 0.5 day and 1.5 days → 1.0
    assert rows["comite"]["dossiers"] == 2 and rows["comite"]["median_days"] == D("1.0")
    assert rows["convention"]["median_days"] == D("5.0") and rows["avance"]["median_days"] == D("3.0")
    assert rows["realisation"]["dossiers"] == 1 and rows["realisation"]["median_days"] == D("60.0")
    # another campaign's events do not count; a campaign without events has no median
    other = make_campaign()
    _path(make_dossier(campaign=other), [("submit", 0), ("start_instruction", 24 * 30)], start)
    assert {r["stage"]: r for r in dashboard.stages(campaign.pk)["rows"]}["attente"]["median_days"] == D(
        "1.0"
    )
    assert {r["stage"]: r for r in dashboard.stages(other.pk)["rows"]}["attente"]["median_days"] == D("30.0")
    assert all(
        r["median_days"] is None and r["dossiers"] == 0 for r in dashboard.stages(make_campaign().pk)["rows"]
    )
    # every campaign: 1, 1, 1, 2, 10, 30 → (1 + 2) / 2
    assert {r["stage"]: r for r in dashboard.stages()["rows"]}["attente"]["median_days"] == D("1.5")


def test_envelope_consumption_per_campaign_is_the_envelope_modules(world):
    # the closed dossier's recovery gave 250 € back to campaign A's envelope
    EnvelopeRelease.objects.create(
        campaign=world["a"], dossier=world["closed"], amount=D("250.00"), confirmed_at=clock.now()
    )
    rows = {r["campaign"]: r for r in dashboard.envelopes()["rows"]}
    a, b = rows[world["a"].pk], rows[world["b"].pk]
    assert a["committed"] == envelope.committed(world["a"]) == D("11750.00")
    assert a["left"] == envelope.left(world["a"]) == D("8250.00")
    assert a["percent"] == D("58.8")
    assert b["committed"] == envelope.committed(world["b"]) == D("8000.00") and b["percent"] == D("88.9")
    assert [r["campaign"] for r in dashboard.envelopes(world["b"].pk)["rows"]] == [world["b"].pk]


def test_bar_width_classes_are_bounded():
    assert dashboard.bar_class(0, 10) == "fjj-dash-w-0"
    assert dashboard.bar_class(5, 10) == "fjj-dash-w-50"
    assert dashboard.bar_class(1, 1000) == "fjj-dash-w-1"  # a non-zero value stays visible
    assert dashboard.bar_class(30, 10) == "fjj-dash-w-100"
    assert dashboard.bar_class(3, 0) == "fjj-dash-w-0"


# ---- pages -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["instructeur", "porteur", "comite", "finance", None])
def test_dashboard_refused_to_other_roles(client, role):
    client.force_login(make_user(role))
    assert client.get(reverse("reporting:dashboard")).status_code == 403
    assert client.get(reverse("reporting:dashboard-block", args=["statuts"])).status_code == 403


def test_dashboard_asks_anonymous_visitors_to_sign_in(client):
    response = client.get(reverse("reporting:dashboard"))
    assert response.status_code == 302 and "next=" in response["Location"]


@pytest.mark.parametrize("role", ["auditeur", "admin"])
def test_dashboard_page_is_a_skeleton_with_links_to_each_block(
    client, role, world, django_assert_max_num_queries
):
    client.force_login(make_user(role))
    with django_assert_max_num_queries(10):
        response = client.get(reverse("reporting:dashboard"), {"campagne": world["a"].pk})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'aria-current="page">Contrôle</a>' in html
    assert "reporting/dashboard.js" in html and "reporting/dashboard.css" in html
    for slug in dashboard.BLOCKS:
        url = reverse("reporting:dashboard-block", args=[slug]) + f"?campagne={world['a'].pk}"
        assert f'data-dashboard-url="{url}"' in html and f'href="{url}"' in html
    assert "<table" not in html  # figures come with the blocks, not with the page


@pytest.mark.parametrize("slug", list(dashboard.BLOCKS))
def test_each_block_has_a_captioned_table_and_bounded_queries(
    client, world, slug, django_assert_max_num_queries
):
    client.force_login(make_user("auditeur"))
    url = reverse("reporting:dashboard-block", args=[slug])
    with django_assert_max_num_queries(8):
        fragment = client.get(url, {"partiel": "1"})
    html = fragment.content.decode()
    assert fragment.status_code == 200
    assert "<html" not in html and "<caption>" in html and 'scope="col"' in html
    assert 'class="fjj-dash-chart" aria-hidden="true"' in html
    page = client.get(url).content.decode()  # without JavaScript: a whole page
    assert "<html" in page and "Retour au tableau de bord" in page and "<caption>" in page


def test_block_queries_do_not_grow_with_the_dossiers(client, world, django_assert_max_num_queries):
    client.force_login(make_user("auditeur"))
    for i in range(12):
        in_region("closed", world["a"], f"69{i:03d}", "84")
    from django.core.cache import cache

    cache.clear()
    for slug in dashboard.BLOCKS:
        with django_assert_max_num_queries(8):
            assert (
                client.get(reverse("reporting:dashboard-block", args=[slug]), {"partiel": "1"}).status_code
                == 200
            )


def test_block_figures_are_cached(client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from fonds.web.context_processors import site_config

    client.force_login(make_user("auditeur"))
    url = reverse("reporting:dashboard-block", args=["montants"])
    site_config(None)  # read once a minute per process: already read, as on any page but the first
    with CaptureQueriesContext(connection) as fresh:
        first = client.get(url, {"partiel": "1", "campagne": world["a"].pk}).content
    with CaptureQueriesContext(connection) as cached:
        again = client.get(url, {"partiel": "1", "campagne": world["a"].pk}).content
    assert again == first
    figure_queries = [
        q["sql"] for q in fresh.captured_queries if "payments_paymentorder" in q["sql"] or "SUM(" in q["sql"]
    ]
    assert len(figure_queries) == 2
    assert not [
        q["sql"] for q in cached.captured_queries if "payments_paymentorder" in q["sql"] or "SUM(" in q["sql"]
    ]
    assert len(cached.captured_queries) == len(fresh.captured_queries) - 2


def test_block_shows_the_figures(client, world):
    client.force_login(make_user("auditeur"))
    html = client.get(
        reverse("reporting:dashboard-block", args=["taux"]), {"partiel": "1", "campagne": world["a"].pk}
    ).content.decode()
    assert "75,0 %" in html
    html = client.get(
        reverse("reporting:dashboard-block", args=["montants"]), {"campagne": world["a"].pk}
    ).content.decode()
    assert "Île-de-France" in html and '<th scope="row">Auvergne-Rhône-Alpes</th>' in html


def test_unknown_block_or_campaign_is_not_found(client):
    client.force_login(make_user("auditeur"))
    assert client.get(reverse("reporting:dashboard-block", args=["inconnu"])).status_code == 404
    assert (
        client.get(reverse("reporting:dashboard-block", args=["statuts"]), {"campagne": "999999"}).status_code
        == 404
    )
    assert client.get(reverse("reporting:dashboard"), {"campagne": "abc"}).status_code == 400


def test_auditor_changes_nothing_through_the_dashboard(client):
    client.force_login(make_user("auditeur"))
    # refused before the view by ReadOnlyAuditorMiddleware (403), or by the view's methods (405)
    assert client.post(reverse("reporting:dashboard")).status_code in (403, 405)
    assert client.post(reverse("reporting:dashboard-block", args=["statuts"])).status_code in (403, 405)


# ---- API -------------------------------------------------------------------------------------


def api_client(role):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=make_user(role)).key}")
    return client


@pytest.mark.parametrize("role", ["instructeur", "porteur", "comite", "finance"])
def test_api_dashboard_refused_to_other_roles(role):
    assert api_client(role).get("/api/v1/dashboard/").status_code == 403


def test_api_dashboard_gives_the_same_figures(world, django_assert_max_num_queries):
    client = api_client("auditeur")
    with django_assert_max_num_queries(16):
        response = client.get("/api/v1/dashboard/", {"campaign": world["a"].pk})
    body = response.json()
    assert response.status_code == 200 and body["campaign"] == world["a"].pk
    assert body["statuses"]["total"] == 6
    assert body["rate"]["rate"] == "75.0" and body["rate"]["decided"] == 4
    assert {r["region"]: r["approved"] for r in body["amounts"]["regions"]} == {
        "84": "9000.00",
        "11": "3000.00",
    }
    assert body["amounts"]["total"]["paid"] == "4750.00"
    assert body["envelopes"]["rows"][0]["committed"] == "12000.00"
    assert [r["stage"] for r in body["stages"]["rows"]][0] == "attente"
    assert client.post("/api/v1/dashboard/", {}, format="json").status_code == 405


def test_api_dashboard_rejects_a_bad_campaign():
    client = api_client("admin")
    assert client.get("/api/v1/dashboard/", {"campaign": "999999"}).status_code == 400
    assert client.get("/api/v1/dashboard/", {"campaign": "x"}).status_code == 400
    assert client.get("/api/v1/dashboard/").status_code == 200
