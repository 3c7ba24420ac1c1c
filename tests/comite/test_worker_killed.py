"""Fault (issue 5): a Celery worker killed (SIGKILL, the whole process group) in the middle of
generating 200 decision letters. After a new worker starts, every letter exists exactly once and
each mayor got exactly one email.

What makes it hold: ``task_acks_late`` + ``task_reject_on_worker_lost`` (a task is acknowledged
only once done, so the messages the dead worker held stay "unacked" in Redis and are delivered
again after the broker's visibility timeout — ``FJJ_BROKER_VISIBILITY_TIMEOUT``, 10 s here), and
idempotent tasks (``GeneratedDocument`` unique on ``(kind, key)``; ``EmailNotice`` claimed once
per (item, mayor)).

Real processes: the workers are ``celery -A fonds worker -P prefork -c 2`` subprocesses on the
test database, a Redis database of their own (``FJJ_FAULT_BROKER_URL``, default
``redis://127.0.0.1:6379/7``, flushed before and after), emails written to files in a temporary
folder. Run by ``make test-services``; skipped with a reason elsewhere.

A worker killed between claiming an email notice and marking it sent (seen once, in a CI run of
6 December 2026): the claim names the task (``EmailNotice.claimed_by``), so the same task
delivered again takes it over and sends the email; before that fix it found the claim « being
sent », sent nothing and was acknowledged, and that mayor's email was lost
(``tests/depot/test_notice_claims.py``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from fonds.audit import chain
from fonds.comite import decisions, votes
from fonds.comite.letters import mayors
from fonds.comite.models import AgendaItem
from fonds.comite.tasks import generate_decision_letter
from fonds.comite.testing import instructed_in_bulk
from fonds.depot.models import EmailNotice
from fonds.documents.models import GeneratedDocument
from tests.services.harness import all_queues_empty

from .conftest import sitting

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

N = 200
ROOT = Path(__file__).resolve().parents[2]
BROKER = os.environ.get("FJJ_FAULT_BROKER_URL", "redis://127.0.0.1:6379/7")
VISIBILITY_TIMEOUT = 10  # seconds before a dead worker's unacknowledged task comes back
SUBJECT = "Décision du comité"


def _database_url() -> str:
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="") + (
        ":" + quote(s["PASSWORD"], safe="") if s.get("PASSWORD") else ""
    )
    host = s["HOST"] or "127.0.0.1"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{auth}{'@' if auth else ''}{host}{port}/{s['NAME']}"


def _redis():
    import redis

    return redis.Redis.from_url(BROKER)


def _start_worker(env: dict, name: str, log: Path) -> subprocess.Popen:
    celery = Path(sys.executable).with_name("celery")
    return subprocess.Popen(
        [
            str(celery),
            "-A",
            "fonds",
            "worker",
            "-P",
            "prefork",
            "-c",
            "2",
            "-l",
            "INFO",
            "-n",
            f"{name}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=str(ROOT),
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group
    )


def _kill(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None and not _group_alive(proc.pid):
        return
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the main process and its prefork children
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pass


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def _letters(keys) -> int:
    return GeneratedDocument.objects.filter(kind=GeneratedDocument.Kind.DECISION_LETTER, key__in=keys).count()


def _decision_emails(folder: Path) -> Counter:
    """Recipients of the decision-letter emails written by the file backend (one file per
    connection, messages separated by a line of 79 dashes)."""
    sent = Counter()
    if not folder.exists():
        return sent
    separator = b"\n" + b"-" * 79 + b"\n"
    for path in folder.iterdir():
        for chunk in path.read_bytes().split(separator):
            if not chunk.strip():
                continue
            message = message_from_bytes(chunk.lstrip(b"\n"), policy=policy.default)
            if str(message.get("Subject", "")).strip().startswith(SUBJECT):
                for to in message.get_all("To", []):
                    sent[str(to).strip()] += 1
    return sent


def _wait(condition, timeout: float, what: str, procs=()):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        for proc in procs:
            if proc.poll() is not None:
                pytest.fail(f"le worker s'est arrêté (code {proc.returncode}) en attendant : {what}")
        if time.monotonic() > deadline:
            pytest.fail(f"délai dépassé ({timeout:.0f} s) en attendant : {what}")
        time.sleep(0.2)


def _decided_items(committee) -> list[AgendaItem]:
    """200 decided items: one in four rejected after a vote, the others deferred (no vote)."""
    c = committee
    instructed_in_bulk(
        c.campaign,
        N,
        first_code=70000,
        departement="70",
        region="27",
        email_domain="fault.fjj.fr",
        reference_prefix="FJJ-K",
    )
    session = sitting(c, [])
    items = list(session.items.select_related("dossier").order_by("rank"))
    voted = items[::4]
    for item in voted:
        votes.open_vote(item, by=c.chair)
        for member in c.members[:3]:
            votes.cast_vote(item, by=member, choice="contre")
    votes.close_all_votes(session, by=c.chair)
    for item in items:
        if item in voted:
            decisions.decide(
                item, by=c.chair, outcome="reject", motivation="Partenariat insuffisamment construit."
            )
        else:
            decisions.decide(
                item, by=c.chair, outcome="defer", motivation="Pièces complémentaires attendues."
            )
    assert not session.items.filter(outcome="").exists()
    return items


def test_worker_killed_mid_letters_every_letter_once_every_mayor_one_email(committee, tmp_path, monkeypatch):
    from fonds.celery import app

    assert settings.CELERY_TASK_ACKS_LATE and settings.CELERY_TASK_REJECT_ON_WORKER_LOST
    redis = _redis()
    redis.flushdb()  # this test's own Redis database: nobody else's queue
    monkeypatch.setattr(app.conf, "broker_url", BROKER)
    items = _decided_items(committee)
    keys = [f"decision-letter-{item.pk}" for item in items]
    expected_mayors = {item.pk: [m.email for m in mayors(item.dossier)] for item in items}
    assert all(len(v) == 1 for v in expected_mayors.values())

    var = tmp_path / "worker-var"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "fonds.settings",
        "FJJ_DATABASE_URL": _database_url(),
        "FJJ_BROKER_URL": BROKER,
        "FJJ_RESULT_BACKEND": BROKER,
        "FJJ_BROKER_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        "FJJ_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "FJJ_VAR_DIR": str(var),
        "FJJ_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "FJJ_CELERY_EAGER": "0",
        "FJJ_LOG_LEVEL": "WARNING",
    }
    env.pop("FJJ_TEST_DATABASE_NAME", None)
    log = tmp_path / "workers.log"
    first = second = None
    try:
        with app.connection_for_write(BROKER) as conn:
            for item in items:
                generate_decision_letter.apply_async((item.pk,), connection=conn)
        assert redis.llen("documents") >= N  # letters go to the documents queue (fonds.ops.queues)
        first = _start_worker(env, "fault-hk-1", log)
        at_kill = _wait(
            lambda: (lambda n: n if 20 <= n else 0)(_letters(keys)),
            240,
            "20 lettres générées par le premier worker",
            [first],
        )
        os.killpg(
            first.pid, signal.SIGKILL
        )  # in the middle of the work: no warm shutdown, nothing acknowledged for the tasks in flight
        first.wait(timeout=30)
        _wait(lambda: not _group_alive(first.pid), 30, "la fin de tous les processus du premier worker")
        at_kill = _letters(keys)
        in_flight = redis.hlen("unacked")
        assert at_kill < N, "le premier worker a tout fini avant d'être tué : le test ne prouve rien"
        assert in_flight >= 1, "aucune tâche non acquittée à la mort du worker : acks_late inopérant ?"

        second = _start_worker(env, "fault-hk-2", log)
        _wait(
            lambda: (
                _letters(keys) == N
                and EmailNotice.objects.filter(
                    key__startswith="decision-letter-", sent_at__isnull=False
                ).count()
                >= N
            ),
            180 + VISIBILITY_TIMEOUT,
            f"les {N} lettres et leurs courriels après redémarrage (au moment de l'arrêt : {at_kill})",
            [second],
        )
        _wait(
            lambda: all_queues_empty(redis),
            60,
            "la file vide et aucune tâche en cours",
            [second],
        )
    finally:
        _kill(first)
        _kill(second)
        redis.flushdb()
    print(
        f"lettres au moment du SIGKILL : {at_kill}/{N} ; tâches non acquittées rendues : {in_flight}",
        file=sys.stderr,
    )

    # every letter exactly once
    letters = list(
        GeneratedDocument.objects.filter(kind=GeneratedDocument.Kind.DECISION_LETTER).values_list(
            "key", flat=True
        )
    )
    assert len(letters) == N and set(letters) == set(keys)
    generated = Counter(e.data["payload"]["key"] for e in _events("decision_letter_generated"))
    assert set(generated) == set(keys) and set(generated.values()) == {1}
    for document in GeneratedDocument.objects.filter(kind=GeneratedDocument.Kind.DECISION_LETTER):
        assert document.file.storage.exists(document.file.name)
    # each mayor exactly one email: the notices, their audit events, the files written
    notices = Counter(
        EmailNotice.objects.filter(key__startswith="decision-letter-", sent_at__isnull=False).values_list(
            "to", flat=True
        )
    )
    wanted = Counter(email for emails in expected_mayors.values() for email in emails)
    assert notices == wanted
    assert Counter(e.data["payload"]["to"] for e in _events("decision_letter_sent")) == wanted
    assert _decision_emails(var / "emails") == wanted
    # the audit chain still verifies (events appended by concurrent, killed and restarted workers)
    result = chain.verify()
    assert result.ok, result.reason


def _events(action: str):
    from fonds.audit.models import AuditEvent

    return AuditEvent.objects.filter(action=action)
