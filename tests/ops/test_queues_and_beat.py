"""Routed queues and the beat lease (issue 23), without processes: the routing table and the
lease's rules. The real processes are in tests/services/test_several_hosts.py."""

import datetime as dt

import pytest

from fonds import clock
from fonds.celery import app
from fonds.ops import beat
from fonds.ops.models import BeatLease
from fonds.ops.queues import AUDIT, BULK, DOCUMENTS, INTERACTIVE, QUEUE_NAMES, queue_for


def test_receipts_and_emails_are_interactive():
    assert queue_for("fonds.depot.tasks.generate_receipt") == INTERACTIVE
    assert queue_for("fonds.depot.tasks.send_email") == INTERACTIVE
    assert queue_for("fonds.notifications.tasks.send_notification_emails") == INTERACTIVE


def test_letters_and_conventions_go_to_documents():
    assert queue_for("fonds.comite.tasks.generate_decision_letter") == DOCUMENTS
    assert queue_for("fonds.suivi.tasks.generate_convention") == DOCUMENTS


def test_bulk_jobs_exports_imports_and_replays_go_to_bulk():
    for name in (
        "fonds.bulk.tasks.run_bulk_job",
        "fonds.reporting.tasks.build_export",
        "fonds.depot.tasks.run_invitation_import",
        "fonds.administration.tasks.run_whatif",
    ):
        assert queue_for(name) == BULK, name


def test_chain_verification_goes_to_audit():
    assert queue_for("fonds.audit.tasks.verify_chain") == AUDIT


def test_every_registered_task_is_routed_to_a_declared_queue():
    app.loader.import_default_modules()
    names = [name for name in app.tasks if name.startswith(("fonds.", "workflows."))]
    assert len(names) >= 20
    for name in names:
        route = app.amqp.router.route({}, name, (), {})
        assert route["queue"].name in QUEUE_NAMES, name
    assert {queue.name for queue in app.amqp.queues.values()} == set(QUEUE_NAMES)


@pytest.mark.django_db
def test_beat_takes_a_free_lease_and_a_second_beat_waits():
    assert beat.hold("a", 60) is True
    assert beat.hold("b", 60) is False
    assert beat.hold("a", 60) is True  # renewed
    assert BeatLease.objects.get().holder == "a"


@pytest.mark.django_db
def test_second_beat_takes_over_an_expired_lease():
    now = clock.now()
    assert beat.hold("a", 60, now=now)
    assert not beat.hold("b", 60, now=now + dt.timedelta(seconds=59))
    assert beat.hold("b", 60, now=now + dt.timedelta(seconds=61))
    lease = BeatLease.objects.get()
    assert lease.holder == "b" and lease.acquired_at == now + dt.timedelta(seconds=61)
    assert not beat.hold("a", 60, now=now + dt.timedelta(seconds=62))  # the old holder lost it


@pytest.mark.django_db
def test_released_lease_is_taken_at_once():
    assert beat.hold("a", 60)
    beat.release("a")
    assert beat.hold("b", 60)
