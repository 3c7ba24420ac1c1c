"""Transactional outbox: a follow-up task is committed with its change and survives a broker outage."""

import threading

import pytest
from django.db import transaction
from kombu import Connection

from fonds.celery import app
from fonds.ops import outbox
from fonds.ops.models import OutboxMessage

pytestmark = pytest.mark.django_db(transaction=True)

DEAD_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connection refused at once


@pytest.fixture
def real_broker(tmp_path):
    """Tasks go through a real (embedded, SQLite-backed) broker instead of running eagerly (without
    the Redis transport options the settings give when the suite runs against Redis)."""
    previous = (app.conf.task_always_eager, app.conf.broker_url, app.conf.broker_transport_options)
    app.conf.task_always_eager = False
    app.conf.broker_url = f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"
    app.conf.broker_transport_options = {}
    yield app.conf.broker_url
    app.conf.task_always_eager, app.conf.broker_url, app.conf.broker_transport_options = previous


def _queued_task_ids(url):
    ids = []
    with Connection(url) as conn:
        queue = conn.SimpleQueue("interactive")  # heartbeat and the like: fonds.ops.queues
        while True:
            try:
                message = queue.get(block=False)
            except queue.Empty:
                break
            ids.append(message.headers["id"])
            message.ack()
        queue.close()
    return ids


def test_outbox_message_rolls_back_with_its_transaction(real_broker):
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            outbox.enqueue("fonds.ops.tasks.heartbeat")
            raise RuntimeError("the change fails")
    assert OutboxMessage.objects.count() == 0
    assert _queued_task_ids(real_broker) == []


def test_outbox_message_sent_on_commit(real_broker):
    with transaction.atomic():
        message = outbox.enqueue("fonds.ops.tasks.heartbeat")
    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 1
    assert _queued_task_ids(real_broker) == [str(message.pk)]


def test_broker_down_the_change_commits_and_the_task_leaves_when_it_returns(real_broker):
    working = app.conf.broker_url
    app.conf.broker_url = DEAD_BROKER
    with transaction.atomic():
        message = outbox.enqueue("fonds.ops.tasks.heartbeat")  # the commit must not fail
    message.refresh_from_db()
    assert message.sent_at is None and message.attempts == 1 and "OperationalError" in message.last_error
    assert outbox.flush() == {"sent": 0, "failed": True, "waiting": 1}  # still down
    app.conf.broker_url = working  # the broker is back
    assert outbox.flush() == {"sent": 1, "failed": False, "waiting": 0}
    assert _queued_task_ids(working) == [str(message.pk)]
    assert outbox.flush() == {"sent": 0, "failed": False, "waiting": 0}  # never twice


def test_eager_mode_runs_the_task_after_commit():
    from fonds.ops.models import Heartbeat

    with transaction.atomic():
        outbox.enqueue("fonds.ops.tasks.heartbeat")
        assert Heartbeat.objects.count() == 0  # not before the commit
    assert Heartbeat.objects.count() == 1
    assert OutboxMessage.objects.get().sent_at is not None


def test_a_transactions_messages_leave_together_over_one_broker_connection(real_broker, monkeypatch):
    """A session closed with 500 decisions queues 500 letters: one connection, not 500."""
    opened = []
    establish = Connection._establish_connection

    def counting_connection(self):
        # a real connection, not ``connection_for_write()``: Celery also calls that once per
        # process, lazily, to read the transport's name, without connecting
        opened.append(threading.get_ident())  # this test's thread only: see the assertion
        return establish(self)

    monkeypatch.setattr(Connection, "_establish_connection", counting_connection)
    with transaction.atomic():
        messages = [outbox.enqueue("fonds.ops.tasks.heartbeat") for _ in range(5)]
    assert opened.count(threading.get_ident()) == 1
    assert _queued_task_ids(real_broker) == [str(message.pk) for message in messages]
    assert OutboxMessage.objects.filter(sent_at__isnull=False, attempts=1).count() == 5


def test_a_message_of_a_rolled_back_savepoint_never_leaves_and_holds_back_nothing(real_broker):
    with transaction.atomic():
        kept = outbox.enqueue("fonds.ops.tasks.heartbeat")
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                outbox.enqueue("fonds.ops.tasks.heartbeat")
                raise RuntimeError("this part of the change fails")
    assert list(OutboxMessage.objects.values_list("pk", flat=True)) == [kept.pk]
    assert _queued_task_ids(real_broker) == [str(kept.pk)]
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            outbox.enqueue("fonds.ops.tasks.heartbeat")
            raise RuntimeError("the whole change fails")
    with transaction.atomic():
        later = outbox.enqueue("fonds.ops.tasks.heartbeat")  # the next change's message still leaves
    assert _queued_task_ids(real_broker) == [str(later.pk)]
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 0


def test_broker_down_midway_the_rest_wait_for_the_flush(real_broker, monkeypatch):
    sent_once = []
    send_task = app.send_task

    def failing_after_two(*args, **kwargs):
        if len(sent_once) == 2:
            raise ConnectionError("broker gone")
        sent_once.append(1)
        return send_task(*args, **kwargs)

    monkeypatch.setattr(app, "send_task", failing_after_two)
    with transaction.atomic():
        messages = [outbox.enqueue("fonds.ops.tasks.heartbeat") for _ in range(4)]
    left = OutboxMessage.objects.filter(sent_at__isnull=False).values_list("pk", flat=True)
    assert set(left) == {messages[0].pk, messages[1].pk}
    waiting = OutboxMessage.objects.filter(sent_at__isnull=True)
    assert {m.pk for m in waiting} == {messages[2].pk, messages[3].pk}
    assert all(m.attempts == 1 and m.last_error == "ConnectionError: broker gone" for m in waiting)
    monkeypatch.setattr(app, "send_task", send_task)
    assert outbox.flush() == {"sent": 2, "failed": False, "waiting": 0}
    assert _queued_task_ids(real_broker) == [str(m.pk) for m in messages]
