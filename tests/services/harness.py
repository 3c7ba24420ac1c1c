"""The broker-outage harness shared by the fault tests of tests/services (one copy, issue 14).

Real pieces: a private ``redis-server`` (Debian's, on a free port, no persistence, in a temporary
folder) is the Celery broker *and* result backend, as one Redis server is in production; a real
Celery worker (``start_worker``, threads pool, in this process so the locmem mailbox sees its
emails) consumes from it; the changes commit on PostgreSQL. The ``outage`` fixture drives one
outage: ``settle()`` (everything queued so far has run), ``down()`` (SIGKILL), the change, then
``waiting()`` (its follow-ups wait in the outbox; a flush while down keeps them), ``up()`` (Redis
restarted on the same port, empty; ``flush_outbox`` sent through the broker as beat sends it),
``wait_for(...)``, ``drained()`` and ``ran_once(...)``; ``record(...)`` keeps the figures
(produced / expected), printed at the end of the run by ``tests/services/conftest.py``.
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
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from celery.signals import task_prerun

from fonds.celery import app
from fonds.ops import outbox
from fonds.ops.models import Heartbeat, OutboxMessage
from fonds.ops.queues import QUEUE_NAMES

SETTLE_TIMEOUT = 120.0  # seconds for the work queued before the outage (PDFs, emails) to finish
FOLLOW_UP_TIMEOUT = 90.0  # seconds for the worker to reconnect and run the follow-ups
#: figures of every outage of the run: (scenario, what, produced, expected, seconds after the broker's return)
FIGURES: list[tuple[str, str, int, int, float | None]] = []


def redis_server() -> str | None:
    path = shutil.which("redis-server") or "/usr/bin/redis-server"
    return path if os.access(path, os.X_OK) else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def all_queues_empty(client) -> bool:
    """No message waiting in any of the four queues, none held unacknowledged (kombu's Redis keys)."""
    return sum(client.llen(name) for name in QUEUE_NAMES) == 0 and client.hlen("unacked") == 0


def wait(condition, timeout: float, what: str):
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
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def _ping(self) -> bool:
        try:
            client = redis.Redis(
                host="127.0.0.1", port=self.port, socket_connect_timeout=0.5, socket_timeout=0.5
            )
            return bool(client.ping())
        except redis.RedisError:
            return False

    def start(self) -> None:
        assert self.proc is None or self.proc.poll() is not None
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            cwd=str(self.folder),
            stdout=(self.folder / "redis.log").open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while not self._ping():
            if self.proc.poll() is not None:
                log = (self.folder / "redis.log").read_text()[-500:]
                pytest.fail(f"redis-server s'est arrêté au démarrage (code {self.proc.returncode}) : {log}")
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

    def client(self, db: int = 0) -> redis.Redis:
        return redis.Redis.from_url(self.url(db))


@contextmanager
def running_redis(folder: Path, outage: str):
    """A started ``PrivateRedis`` in ``folder`` (created), killed on exit whatever happened; skips
    the test with a reason naming the ``outage`` it simulates where ``redis-server`` is missing."""
    binary = redis_server()
    if binary is None:
        pytest.skip(f"nécessite redis-server (paquet Debian redis-server) pour simuler la panne {outage}")
    folder.mkdir()
    server = PrivateRedis(binary, folder)
    server.start()
    try:
        yield server
    finally:
        server.kill()  # never left running, whatever happened


@pytest.fixture
def private_redis(tmp_path):
    with running_redis(tmp_path / "redis", "du broker") as server:
        yield server


def reset_app_connections() -> None:
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
    reset_app_connections()
    try:
        yield private_redis
    finally:
        for key, value in previous.items():
            app.conf[key] = value
        reset_app_connections()


@pytest.fixture
def task_runs():
    """Every task run by the worker, (name, task id) — to prove each ran exactly once."""
    runs: list[tuple[str, str]] = []
    lock = threading.Lock()

    def note(sender=None, task_id=None, **kwargs):
        with lock:
            runs.append((sender.name, task_id))

    task_prerun.connect(note, weak=False)
    try:
        yield runs
    finally:
        task_prerun.disconnect(note)


def outage_worker(hostname: str = "outage@fjj"):
    """A real worker on the private broker (threads: in this process, for the locmem mailbox)."""
    return start_worker(
        app, pool="threads", concurrency=2, perform_ping_check=False, shutdown_timeout=30, hostname=hostname
    )


class Outage:
    """One broker outage around one change, with a worker running all along."""

    def __init__(self, server: PrivateRedis, runs: list):
        self.server, self.runs = server, runs
        self.back_at = self.took = None

    def queue_empty(self) -> bool:
        broker = self.server.client(0)
        return all_queues_empty(broker)

    def settle(self) -> None:
        """Everything queued so far (set-up steps' follow-ups) has left the outbox and has run."""
        wait(
            lambda: not outbox.pending().exists() and self.queue_empty(),
            SETTLE_TIMEOUT,
            "la fin des tâches de la mise en place",
        )

    def down(self) -> None:
        self.server.kill()
        assert self.server.refuses()

    def waiting(self, task: str, expected: int) -> list[OutboxMessage]:
        """The change's follow-ups wait in the outbox (``expected`` of ``task``); a flush while the
        broker is down sends nothing and keeps them. Returns every waiting message."""
        messages = list(outbox.pending())
        assert [m.task for m in messages].count(task) == expected, [(m.task, m.args) for m in messages]
        assert all(m.attempts == 1 and m.last_error for m in messages), "chaque message attend après un essai"
        assert outbox.flush() == {"sent": 0, "failed": True, "waiting": len(messages)}
        assert outbox.pending().count() == len(messages)
        return messages

    def up(self) -> None:
        """Redis restarts (empty) on the same port; the worker reconnects by itself; beat's flush."""
        self.server.start()
        self.back_at = time.monotonic()
        app.send_task("fonds.ops.tasks.flush_outbox")

    def wait_for(self, condition, what: str) -> float:
        """Wait for ``condition`` after the broker's return; returns the seconds it took."""
        wait(condition, FOLLOW_UP_TIMEOUT, what)
        self.took = time.monotonic() - self.back_at
        return self.took

    def drained(self) -> None:
        """Nothing left in the broker, nothing left in the outbox: no second copy on its way."""
        wait(lambda: self.queue_empty() and not outbox.pending().exists(), 30, "la file et l'outbox vides")

    def ran_once(self, messages: list[OutboxMessage]) -> None:
        """Each waiting message ran exactly once (task id = message id), and no task ran twice."""
        ids = Counter(task_id for _, task_id in self.runs)
        for message in messages:
            assert ids[str(message.pk)] == 1, (message.task, message.args, ids[str(message.pk)])
            message.refresh_from_db()
            # refused at commit (and the oldest again by the flush while down), sent by the flush once back
            sent = message.sent_at is not None and message.last_error == "" and message.attempts >= 2
            assert sent, (message.task, message.args, message.attempts, message.last_error)
        assert max(ids.values()) == 1, [i for i, n in ids.items() if n > 1]

    def record(self, scenario: str, figures: dict[str, tuple[int, int]]) -> None:
        record(scenario, figures, self.took)


def record(scenario: str, figures: dict[str, tuple[int, int]], took: float | None = None) -> None:
    """Keep (produced, expected) per kind of output, e.g. ``{"lettres": (5, 5)}``, and print them."""
    for what, (produced, expected) in figures.items():
        FIGURES.append((scenario, what, produced, expected, took))
    text = ", ".join(f"{what} {produced}/{expected}" for what, (produced, expected) in figures.items())
    after = f" ; {took:.1f} s après le retour du broker" if took is not None else ""
    print(f"panne du broker — {scenario} : {text}{after}", file=sys.stderr)


@pytest.fixture
def outage(private_broker, task_runs):
    """A worker on the private broker, proven to consume from it (a heartbeat), for one outage."""
    with outage_worker():
        app.send_task("fonds.ops.tasks.heartbeat")
        wait(lambda: Heartbeat.objects.exists(), 30, "le battement du worker par le broker privé")
        yield Outage(private_broker, task_runs)
