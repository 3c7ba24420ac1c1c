"""Running on several hosts (issue 23), with real processes: two beats send each scheduled task
once; a receipt is produced while the bulk queue is saturated; a web process and a worker that
share nothing but the database and an S3 bucket.

Run by ``make test-services`` (PostgreSQL, a private ``redis-server`` as broker); skipped with a
reason elsewhere.
"""

from __future__ import annotations

import hashlib
import json
import time

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fonds.audit.models import AuditEvent
from fonds.depot.receipts import receipt_progress
from fonds.dossiers.models import Document
from fonds.dossiers.services import perform
from fonds.ops.models import BeatLease
from fonds.ops.queues import BULK, INTERACTIVE
from fonds.reporting import exports
from tests.factories import PDF_BYTES, make_dossier, make_user

from .harness import free_port, wait
from .processes import child_env, kill, running, start, worker_args

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def queued(client, queue: str, task: str | None = None) -> int:
    """Messages waiting in a Redis queue (kombu's list), for one task name or all."""
    if task is None:
        return client.llen(queue)
    return sum(1 for raw in client.lrange(queue, 0, -1) if json.loads(raw)["headers"]["task"] == task)


# --------------------------------------------------------------------------------------------
# One beat
# --------------------------------------------------------------------------------------------

HEARTBEAT = "fonds.ops.tasks.heartbeat"


def test_two_beats_send_each_scheduled_task_once(tmp_path, private_redis):
    """Two beats on the same schedule (heartbeat every second, lease 4 s): one sends, the other
    waits; killing the holder hands the schedule to the other within the lease."""
    client = private_redis.client(0)
    env = child_env(
        tmp_path,
        private_redis.url(0),
        FJJ_HEARTBEAT_SECONDS="1",
        FJJ_OUTBOX_FLUSH_SECONDS="1",
        FJJ_BEAT_LEASE_SECONDS="4",
    )
    beats = {}
    for name in ("a", "b"):
        args = ["beat", "-l", "INFO", "-s", str(tmp_path / f"schedule-{name}")]
        beats[name] = start(args, env, tmp_path / f"beat-{name}.log")
    try:
        wait(
            lambda: queued(client, INTERACTIVE, HEARTBEAT) >= 2,
            90,
            "les premiers battements envoyés par beat",
        )
        first, t0 = queued(client, INTERACTIVE, HEARTBEAT), time.monotonic()
        time.sleep(8)
        sent, elapsed = queued(client, INTERACTIVE, HEARTBEAT) - first, time.monotonic() - t0
        # one beat: one heartbeat a second; two unguarded beats would send twice as many
        assert elapsed - 2 <= sent <= elapsed + 2, (sent, elapsed)

        holder = BeatLease.objects.get(pk=1).holder
        pids = {str(proc.pid): name for name, proc in beats.items()}
        holding = pids[holder.split(":")[1]]
        kill(beats[holding])
        survivor = "b" if holding == "a" else "a"
        wait(
            lambda: BeatLease.objects.get(pk=1).holder.split(":")[1] == str(beats[survivor].pid),
            30,
            "la reprise du bail par le second beat",
        )
        before = queued(client, INTERACTIVE, HEARTBEAT)
        time.sleep(4)
        assert queued(client, INTERACTIVE, HEARTBEAT) - before >= 2  # the schedule goes on
    finally:
        for proc in beats.values():
            kill(proc)


# --------------------------------------------------------------------------------------------
# Routed queues
# --------------------------------------------------------------------------------------------


EXPORTS = 200


def test_receipt_is_produced_while_the_bulk_queue_is_saturated(tmp_path, private_broker):
    """200 XLSX exports of 300 dossiers wait in the bulk queue before its worker starts; a
    mayor's receipt, queued after them, is ready while exports still wait there. (The queue is
    filled first: a bulk worker already running kept pace with the jobs' creation once workers
    kept their database connection between tasks, and the queue never filled.)"""
    client = private_broker.client(0)
    for _ in range(300):
        make_dossier()
    auditor = make_user("auditeur")
    env = child_env(tmp_path, private_broker.url(0))
    logs = {name: tmp_path / f"{name}.log" for name in (BULK, INTERACTIVE)}
    with running(worker_args(INTERACTIVE, INTERACTIVE), env, logs[INTERACTIVE]):
        jobs = [exports.create_job(auditor, "xlsx") for _ in range(EXPORTS)]
        wait(lambda: queued(client, BULK) == EXPORTS, 120, "les exports dans la file « bulk »")
        with running(worker_args(BULK, BULK), env, logs[BULK]):
            for log in logs.values():
                wait(
                    lambda log=log: log.exists() and " ready." in log.read_text(),
                    120,
                    f"le worker {log.stem}",
                )
            wait(lambda: queued(client, BULK) < EXPORTS, 120, "le premier export pris par le worker du lot")
            dossier = make_dossier()
            t0 = time.monotonic()
            perform(dossier, "submit", by=dossier.created_by)  # commits: the receipt task is queued
            wait(lambda: receipt_progress(dossier.pk).state == "ready", 120, "le récépissé")
            seconds = time.monotonic() - t0
            waiting = queued(client, BULK)
    done = sum(1 for job in jobs if (job.refresh_from_db() or job.finished))
    assert waiting > 0 and done < len(jobs), (waiting, done)  # the bulk queue was still saturated
    print(f"\nrécépissé prêt en {seconds:.1f} s ; {waiting} exports encore en attente dans « bulk »")


# --------------------------------------------------------------------------------------------
# Files on object storage
# --------------------------------------------------------------------------------------------


@pytest.fixture
def bucket(tmp_path):
    """An S3-compatible server (moto) on 127.0.0.1 with one private bucket; its settings."""
    boto3 = pytest.importorskip("boto3")
    moto_server = pytest.importorskip("moto.server")

    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    env = {
        "FJJ_S3_BUCKET": "fjj-test",
        "FJJ_S3_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "FJJ_S3_REGION": "eu-west-3",
        "FJJ_S3_ACCESS_KEY_ID": "test",
        "FJJ_S3_SECRET_ACCESS_KEY": "test",
        "FJJ_S3_ADDRESSING_STYLE": "path",
    }
    s3 = boto3.client(
        "s3",
        endpoint_url=env["FJJ_S3_ENDPOINT_URL"],
        region_name=env["FJJ_S3_REGION"],
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    s3.create_bucket(Bucket="fjj-test", CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
    try:
        yield s3, env
    finally:
        server.stop()


def s3_storages(env: dict) -> dict:
    options = {
        "bucket_name": env["FJJ_S3_BUCKET"],
        "endpoint_url": env["FJJ_S3_ENDPOINT_URL"],
        "region_name": env["FJJ_S3_REGION"],
        "access_key": env["FJJ_S3_ACCESS_KEY_ID"],
        "secret_key": env["FJJ_S3_SECRET_ACCESS_KEY"],
        "default_acl": None,
        "file_overwrite": False,
        "addressing_style": "path",
    }
    return {
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
        "staticfiles": django_settings.STORAGES["staticfiles"],
    }


def test_web_and_worker_share_nothing_but_the_bucket(tmp_path, private_broker, bucket, settings, client):
    """The web side (this process) stores the mayor's upload in the bucket; the worker (another
    process, another media folder) writes the receipt there; the web serves it back, with the
    SHA-256 the trail recorded. Neither media folder receives a file."""

    s3, env = bucket
    web_media = tmp_path / "web-media"
    settings.MEDIA_ROOT = str(web_media)
    settings.STORAGES = s3_storages(env)
    dossier = make_dossier()
    client.force_login(dossier.created_by)
    response = client.post(
        reverse("depot:step", args=[dossier.pk, "pieces"]),
        {"deliberation": SimpleUploadedFile("délibération.pdf", PDF_BYTES), "action": "stay"},
    )
    assert response.status_code == 302
    upload = Document.objects.filter(dossier=dossier, kind="deliberation").latest("pk")
    keys = {item["Key"] for item in s3.list_objects_v2(Bucket="fjj-test").get("Contents", [])}
    assert upload.file.name in keys

    worker_dir = tmp_path / "worker"
    worker_dir.mkdir()
    env_worker = child_env(worker_dir, private_broker.url(0), **env)
    with running(worker_args("solo"), env_worker, tmp_path / "worker.log"):
        perform(dossier, "submit", by=dossier.created_by)
        wait(lambda: receipt_progress(dossier.pk).state == "ready", 120, "le récépissé écrit par le worker")
    response = client.get(reverse("depot:receipt", args=[dossier.pk]))
    body = b"".join(response.streaming_content)
    assert response.status_code == 200 and body.startswith(b"%PDF-")
    recorded = [e.data["payload"] for e in AuditEvent.objects.filter(action="receipt_generated")]
    assert hashlib.sha256(body).hexdigest() in json.dumps(recorded)
    keys = {item["Key"] for item in s3.list_objects_v2(Bucket="fjj-test").get("Contents", [])}
    assert len(keys) >= 2  # the upload and the receipt
    assert not any(p.is_file() for p in web_media.rglob("*")) if web_media.exists() else True
    media = worker_dir / "media"
    assert not any(p.is_file() for p in media.rglob("*")) if media.exists() else True
