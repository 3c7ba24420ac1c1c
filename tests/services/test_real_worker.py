"""With the production services: tasks travel through the real broker to a real Celery worker.

Run by `make test-services` (PostgreSQL + Redis); skipped with a reason elsewhere.
"""

import datetime as dt

import pytest
from celery.contrib.testing.worker import start_worker

from fonds import clock
from fonds.celery import app
from fonds.dossiers.models import Dossier
from fonds.dossiers.services import perform
from fonds.dossiers.states import Status
from tests.factories import make_dossier, make_user

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker():
    with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False, shutdown_timeout=30) as w:
        yield w


def test_daily_audit_verification_runs_on_a_real_worker(worker):
    dossier = make_dossier()
    perform(dossier, "submit", by=dossier.created_by)
    result = app.send_task("fonds.audit.tasks.verify_chain").get(timeout=60)
    assert result["ok"] is True
    assert result["count"] >= 2


def test_deadline_expiry_runs_on_a_real_worker(worker):
    dossier = make_dossier()
    perform(dossier, "submit", by=dossier.created_by)
    instructor = make_user("instructeur")
    perform(dossier, "start_instruction", by=instructor)
    perform(
        dossier, "request_corrections", by=instructor, motivation="Pièce manquante : délibération signée."
    )
    Dossier.objects.filter(pk=dossier.pk).update(
        corrections_due=clock.now() - dt.timedelta(minutes=1)
    )  # the deadline passes
    counts = app.send_task("workflows.tasks.expire_deadlines").get(timeout=60)
    assert counts["closed_without_follow_up"] == 1
    assert Dossier.objects.get(pk=dossier.pk).status == Status.CLOSED_WITHOUT_FOLLOW_UP
