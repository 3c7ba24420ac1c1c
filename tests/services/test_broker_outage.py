"""Fault (issue 8): the broker is down during a submission. The submission still commits, and its
follow-up task (the receipt: PDF + email) runs once the broker returns.

Real pieces: a private ``redis-server`` (Debian's, on a free port, no persistence, in a temporary
folder) is the Celery broker *and* result backend for this test, as one Redis server is in
production; a real Celery worker (``start_worker``, threads pool, in this process so the locmem
mailbox sees its emails) consumes from it; the mayor submits through the HTTP view (Django test
client) on PostgreSQL. Then:

1. the worker runs a heartbeat through the private broker (it really consumes from it);
2. ``redis-server`` is killed (SIGKILL): the broker is down;
3. the mayor submits: the answer is the normal redirect to the confirmation page, quickly (no
   hang), the dossier is committed as submitted with its ``submit`` audit event, and the receipt
   task waits in the transactional outbox (``OutboxMessage``, ``sent_at`` empty); a flush while
   the broker is still down sends nothing and keeps it;
4. ``redis-server`` restarts on the same port (empty: no persistence). The worker started in
   step 1 reconnects by itself (``broker_connection_retry``); ``flush_outbox`` is sent through
   the broker as beat sends it, the worker runs it, it publishes the receipt task, the worker
   runs that: the receipt PDF exists, the email went out, the outbox row is sent — each exactly
   once (task runs counted with the ``task_prerun`` signal).

What it found: the outbox's single send attempt slept 2 s (kombu's retry interval) before giving
up, on every submission while the broker was down; ``fonds.ops.outbox`` now tries once. Measured
here: the submission answers in about 0.5 s with the broker down, the receipt follows 2–3 s after
the broker returns (the worker's reconnection back-off: 2, 4, 6… s).

Run by ``make test-services`` (PostgreSQL + Redis; the ``services`` marker puts it in the
``services`` xdist group with the other real-worker tests, tests/conftest.py); skipped with a
reason elsewhere, and when ``redis-server`` is not installed.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from celery.signals import task_prerun
from django.core import mail
from django.urls import reverse

from fonds.audit.models import AuditEvent
from fonds.celery import app
from fonds.documents.models import GeneratedDocument
from fonds.dossiers.states import Status
from fonds.ops import outbox
from fonds.ops.models import Heartbeat, OutboxMessage
from tests.factories import make_dossier

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

RECEIPT_TASK = "fonds.depot.tasks.generate_receipt"
REQUEST_BUDGET = 10.0  # seconds: a submission while the broker is down must not hang
FOLLOW_UP_TIMEOUT = 60.0  # seconds for the worker to reconnect and run the follow-up


def _redis_server() -> str | None:
    path = shutil.which("redis-server") or "/usr/bin/redis-server"
    return path if os.access(path, os.X_OK) else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"délai dépassé ({timeout:.0f} s) en attendant : {what}")
        time.sleep(0.2)


class PrivateRedis:
    """One ``redis-server`` process on a fixed port: started, killed, started again."""

    def __init__(self, binary: str, folder: Path):
        self.binary, self.folder = binary, folder
        self.port = _free_port()
        self.proc: subprocess.Popen | None = None

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def _ping(self) -> bool:
        try:
            return bool(redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.5, socket_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def start(self) -> None:
        assert self.proc is None or self.proc.poll() is not None
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(self.folder)],
            cwd=str(self.folder), stdout=(self.folder / "redis.log").open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while not self._ping():
            if self.proc.poll() is not None:
                pytest.fail(f"redis-server s'est arrêté au démarrage (code {self.proc.returncode}) : {(self.folder / 'redis.log').read_text()[-500:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"redis-server ne répond pas à PING sur le port {self.port}")
            time.sleep(0.05)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def refuses(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            return False
        except OSError:
            return True


@pytest.fixture
def private_redis(tmp_path):
    binary = _redis_server()
    if binary is None:
        pytest.skip("nécessite redis-server (paquet Debian redis-server) pour simuler la panne du broker")
    folder = tmp_path / "redis"
    folder.mkdir()
    server = PrivateRedis(binary, folder)
    server.start()
    try:
        yield server
    finally:
        server.kill()  # never left running, whatever happened


def _reset_app_connections() -> None:
    """Forget the app's broker pools and result backend so they follow ``app.conf`` again."""
    from kombu import pools

    if app._pool is not None:
        try:
            app._pool.force_close_all()
        except Exception:  # noqa: BLE001 — closing connections to a server that may be gone
            pass
    app._pool = None
    app.amqp._producer_pool = None
    pools.reset()  # kombu's process-wide registry of connection and producer pools
    app._backend_cache = None
    if hasattr(app._local, "backend"):
        del app._local.backend


@pytest.fixture
def private_broker(private_redis):
    """The Celery app's broker and result backend on the private Redis, restored afterwards."""
    previous = {key: app.conf.get(key) for key in ("broker_url", "result_backend")}
    app.conf.broker_url = private_redis.url(0)
    app.conf.result_backend = private_redis.url(1)
    _reset_app_connections()
    try:
        yield private_redis
    finally:
        for key, value in previous.items():
            app.conf[key] = value
        _reset_app_connections()


@pytest.fixture
def task_runs():
    """Every task run by the worker, (name, task id) — to prove each ran exactly once."""
    runs: list[tuple[str, str]] = []
    lock = threading.Lock()

    def record(sender=None, task_id=None, **kwargs):
        with lock:
            runs.append((sender.name, task_id))

    task_prerun.connect(record, weak=False)
    try:
        yield runs
    finally:
        task_prerun.disconnect(record)


def test_broker_down_during_submission_commits_and_the_receipt_follows_when_it_returns(private_broker, task_runs, client):
    server = private_broker
    dossier = make_dossier()  # complete: passes E1–E9
    mayor = dossier.created_by
    client.force_login(mayor)

    with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False, shutdown_timeout=30, hostname="outage@fjj"):
        # 1. the worker really consumes from the private broker
        app.send_task("fonds.ops.tasks.heartbeat")
        _wait(lambda: Heartbeat.objects.exists(), 30, "le battement du worker par le broker privé")

        # 2. the broker goes down
        server.kill()
        assert server.refuses()

        # 3. the mayor submits through the front office
        started = time.monotonic()
        response = client.post(reverse("depot:submit", args=[dossier.pk]), {"confirm": "on"})
        elapsed = time.monotonic() - started
        assert response.status_code == 302, response.content.decode()[:500]
        assert response["Location"] == reverse("depot:submitted", args=[dossier.pk])
        assert elapsed < REQUEST_BUDGET, f"le dépôt a attendu le broker {elapsed:.1f} s"
        confirmation = client.get(response["Location"])
        assert confirmation.status_code == 200 and "Télécharger le récépissé" not in confirmation.content.decode()

        dossier.refresh_from_db()
        assert dossier.status == Status.SUBMITTED and dossier.submitted_at is not None
        assert AuditEvent.objects.filter(action="submit", object_type="dossiers.dossier", object_id=str(dossier.pk)).count() == 1
        waiting = OutboxMessage.objects.get()
        assert (waiting.task, waiting.args) == (RECEIPT_TASK, [dossier.pk])
        assert waiting.sent_at is None and waiting.attempts == 1 and waiting.last_error, "le message aurait dû attendre dans la boîte d'envoi"
        assert not GeneratedDocument.objects.filter(kind=GeneratedDocument.Kind.RECEIPT, dossier=dossier).exists()
        # beat's flush while the broker is still down: nothing leaves, nothing is lost
        started = time.monotonic()
        assert outbox.flush() == {"sent": 0, "failed": True, "waiting": 1}
        flush_down = time.monotonic() - started
        assert flush_down < REQUEST_BUDGET
        assert OutboxMessage.objects.get().sent_at is None

        # 4. the broker returns (empty); the flush goes through it as beat sends it
        server.start()
        back = time.monotonic()
        app.send_task("fonds.ops.tasks.flush_outbox")

        def followed_up():
            receipt = GeneratedDocument.objects.filter(kind=GeneratedDocument.Kind.RECEIPT, key=f"receipt-{dossier.pk}").first()
            sent = OutboxMessage.objects.filter(sent_at__isnull=False).exists()
            emailed = AuditEvent.objects.filter(action="receipt_sent", object_id=str(dossier.pk)).exists()
            return receipt is not None and sent and emailed

        _wait(followed_up, FOLLOW_UP_TIMEOUT, "le récépissé et son courriel après le retour du broker")
        follow_up = time.monotonic() - back
        result = app.AsyncResult(str(waiting.pk)).get(timeout=30)  # the receipt task's result, through the private Redis
        assert result["email_sent_now"] is True
        # nothing left in the broker: no second copy of the receipt task on its way
        broker = redis.Redis.from_url(server.url(0))
        _wait(lambda: broker.llen("celery") == 0 and broker.hlen("unacked") == 0, 30, "la file vide")

    print(f"dépôt broker coupé : {elapsed:.2f} s ; flush broker coupé : {flush_down:.2f} s ; récépissé {follow_up:.1f} s après le retour du broker", file=sys.stderr)

    # every follow-up ran exactly once
    runs = Counter(name for name, _ in task_runs)
    assert runs[RECEIPT_TASK] == 1 and runs["fonds.ops.tasks.flush_outbox"] == 1, task_runs
    assert (RECEIPT_TASK, str(waiting.pk)) in task_runs  # the outbox message's id is the task id
    message = OutboxMessage.objects.get()
    assert message.sent_at is not None and message.last_error == "" and message.attempts == 3  # commit, flush (down), flush (back)
    receipt = GeneratedDocument.objects.get(kind=GeneratedDocument.Kind.RECEIPT, key=f"receipt-{dossier.pk}")
    assert receipt.file.storage.exists(receipt.file.name)
    assert AuditEvent.objects.filter(action="receipt_generated", object_id=str(dossier.pk)).count() == 1
    assert AuditEvent.objects.filter(action="receipt_sent", object_id=str(dossier.pk)).count() == 1
    receipts = [m for m in mail.outbox if m.subject == f"Récépissé de dépôt du dossier {dossier.reference}"]
    assert len(receipts) == 1 and receipts[0].to == [mayor.email]
    assert "Télécharger le récépissé" in client.get(reverse("depot:submitted", args=[dossier.pk])).content.decode()
