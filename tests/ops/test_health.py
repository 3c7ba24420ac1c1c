"""The health endpoint: database, broker, worker heartbeat, audit chain — 200 or 503, never a 500."""

import datetime as dt
import json

import pytest

from fonds import clock
from fonds.audit import chain
from fonds.comite.health import check_committee_agenda
from fonds.ops import health
from fonds.ops.models import ChainCheck, Heartbeat
from fonds.ops.tasks import heartbeat

pytestmark = pytest.mark.django_db


@pytest.fixture
def not_eager():
    from fonds.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = previous


def test_health_ok_in_the_embedded_profile(client):
    chain.append("test_event", payload={"n": 1})
    response = client.get("/sante/")
    assert response.status_code == 200
    data = response.json()
    assert data["ok"] is True and data["status"] == "ok"
    assert set(data["checks"]) == {
        "database",
        "broker",
        "workers",
        "audit_chain",
        "committee_agenda",
        "audit_anchor",
    }
    assert data["checks"]["audit_chain"]["head_matches_last_event"] is True


def test_health_is_public_and_shows_no_personal_data(client):
    body = client.get("/sante/").content.decode()
    assert "@" not in body and "iban" not in body.lower()


def test_worker_without_heartbeat_is_reported_down(client, not_eager):
    data = health.check_workers()
    assert data["ok"] is False and data["alive"] == 0


def test_worker_heartbeat_fresh_then_stale(settings, not_eager):
    heartbeat.apply()
    assert health.check_workers()["ok"] is True
    Heartbeat.objects.update(at=clock.now() - dt.timedelta(seconds=settings.FJJ_HEARTBEAT_MAX_AGE + 1))
    assert health.check_workers()["ok"] is False


def test_broker_down_gives_503_not_500(client, settings, not_eager):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    heartbeat.apply()
    response = client.get("/sante/")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False


def test_failed_full_verification_turns_the_chain_red(client):
    ChainCheck.objects.create(
        ok=False, count=10, first_bad_seq=7, reason="empreinte", last_hash="", seconds=0.1
    )
    data = client.get("/sante/").json()
    assert data["checks"]["audit_chain"]["ok"] is False
    assert data["checks"]["audit_chain"]["last_full_check"]["first_bad_seq"] == 7


def test_daily_verification_is_recorded():
    from fonds.audit.tasks import verify_chain

    chain.append("test_event", payload={"n": 1})
    verify_chain.apply()
    check = ChainCheck.objects.latest()
    assert check.ok and check.count >= 1


def test_a_crashing_check_is_a_red_light(monkeypatch):
    monkeypatch.setitem(health.CHECKS, "database", lambda: 1 / 0)
    data = health.report()
    assert data["ok"] is False and data["checks"]["database"] == {"ok": False, "error": "ZeroDivisionError"}
    json.dumps(data)


def test_in_committee_without_agenda_is_reported_by_sante(client):
    """Règlement, "Committee": a dossier is in committee only on the agenda of a session that is not
    closed. A violation degrades ``/sante/`` (200, ``status`` « degraded »: the data needs a repair,
    the service answers) with the count and the dossiers' public numbers."""
    from fonds.dossiers.models import Dossier
    from fonds.dossiers.states import Status
    from tests.comite.conftest import instructed_dossier
    from tests.factories import make_campaign

    campaign = make_campaign()
    orphans = [instructed_dossier(campaign) for _ in range(2)]
    fine = instructed_dossier(campaign)
    Dossier.objects.filter(pk__in=[d.pk for d in orphans]).update(
        status=Status.IN_COMMITTEE
    )  # legacy data, no agenda item
    response = client.get("/sante/")
    data = response.json()
    assert response.status_code == 200 and data["status"] == "degraded" and data["ok"] is True
    check = data["checks"]["committee_agenda"]
    assert check["ok"] is False and check["in_committee_without_agenda"] == 2
    assert check["references"] == [d.reference for d in orphans] and fine.reference not in check["references"]
    assert check["repair"] == "python manage.py repair_committee_agenda"


def test_committee_agenda_check_lists_twenty_references_and_counts_them_all(monkeypatch):
    from fonds.dossiers.models import Dossier
    from fonds.dossiers.states import Status
    from tests.factories import make_campaign, make_dossier

    monkeypatch.setattr(health, "LISTED", 2)
    campaign = make_campaign()
    ids = [make_dossier(campaign=campaign, complete=False).pk for _ in range(3)]
    Dossier.objects.filter(pk__in=ids).update(status=Status.IN_COMMITTEE)
    check = check_committee_agenda()
    assert check["in_committee_without_agenda"] == 3 and len(check["references"]) == 2
