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

The private Redis, the worker and the waits are the shared harness of ``tests/services/harness.py``
(also used by ``test_broker_outage_follow_ups.py``). Run by ``make test-services`` (PostgreSQL +
Redis; the ``services`` marker puts it in the ``services`` xdist group with the other real-worker
tests, tests/conftest.py); skipped with a reason elsewhere, and when ``redis-server`` is missing.
"""

from __future__ import annotations

import sys
import time
from collections import Counter

import pytest
import redis
from django.core import mail
from django.urls import reverse

from fonds.audit.models import AuditEvent
from fonds.celery import app
from fonds.documents.models import GeneratedDocument
from fonds.dossiers.states import Status
from fonds.ops import outbox
from fonds.ops.models import Heartbeat, OutboxMessage
from tests.factories import make_dossier

from .harness import all_queues_empty, outage_worker, record, wait

#: the progress display keeps the download link in the page, hidden until the receipt is ready
RECEIPT_HIDDEN = '<p data-show-when-over="state=ready" hidden>'

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

RECEIPT_TASK = "fonds.depot.tasks.generate_receipt"
REQUEST_BUDGET = 10.0  # seconds: a submission while the broker is down must not hang
FOLLOW_UP_TIMEOUT = 60.0  # seconds for the worker to reconnect and run the follow-up


def test_broker_down_during_submission_commits_and_the_receipt_follows_when_it_returns(
    private_broker, task_runs, client
):
    server = private_broker
    dossier = make_dossier()  # complete: passes E1–E9
    mayor = dossier.created_by
    client.force_login(mayor)

    with outage_worker():
        # 1. the worker really consumes from the private broker
        app.send_task("fonds.ops.tasks.heartbeat")
        wait(lambda: Heartbeat.objects.exists(), 30, "le battement du worker par le broker privé")
        # ... and acknowledged it: a broker killed during an ack stops Celery's worker for good
        # (« Unrecoverable error » in kombu's reconnection), which is not the outage tested here
        broker = server.client(0)
        wait(
            lambda: all_queues_empty(broker),
            30,
            "l'acquittement du battement par le worker",
        )

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
        assert confirmation.status_code == 200 and RECEIPT_HIDDEN in confirmation.content.decode()

        dossier.refresh_from_db()
        assert dossier.status == Status.SUBMITTED and dossier.submitted_at is not None
        assert (
            AuditEvent.objects.filter(
                action="submit", object_type="dossiers.dossier", object_id=str(dossier.pk)
            ).count()
            == 1
        )
        waiting = OutboxMessage.objects.get()
        assert (waiting.task, waiting.args) == (RECEIPT_TASK, [dossier.pk])
        assert waiting.sent_at is None and waiting.attempts == 1 and waiting.last_error, (
            "le message aurait dû attendre dans la boîte d'envoi"
        )
        assert not GeneratedDocument.objects.filter(
            kind=GeneratedDocument.Kind.RECEIPT, dossier=dossier
        ).exists()
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
            receipt = GeneratedDocument.objects.filter(
                kind=GeneratedDocument.Kind.RECEIPT, key=f"receipt-{dossier.pk}"
            ).first()
            sent = OutboxMessage.objects.filter(sent_at__isnull=False).exists()
            emailed = AuditEvent.objects.filter(action="receipt_sent", object_id=str(dossier.pk)).exists()
            return receipt is not None and sent and emailed

        wait(followed_up, FOLLOW_UP_TIMEOUT, "le récépissé et son courriel après le retour du broker")
        follow_up = time.monotonic() - back
        result = app.AsyncResult(str(waiting.pk)).get(
            timeout=30
        )  # the receipt task's result, through the private Redis
        assert result["email_sent_now"] is True
        # nothing left in the broker: no second copy of the receipt task on its way
        broker = redis.Redis.from_url(server.url(0))
        wait(lambda: all_queues_empty(broker), 30, "la file vide")

    print(
        f"dépôt broker coupé : {elapsed:.2f} s ; flush broker coupé : {flush_down:.2f} s ; récépissé "
        f"{follow_up:.1f} s après le retour du broker",
        file=sys.stderr,
    )

    # every follow-up ran exactly once
    runs = Counter(name for name, _ in task_runs)
    assert runs[RECEIPT_TASK] == 1 and runs["fonds.ops.tasks.flush_outbox"] == 1, task_runs
    assert (RECEIPT_TASK, str(waiting.pk)) in task_runs  # the outbox message's id is the task id
    message = OutboxMessage.objects.get()
    assert (
        message.sent_at is not None and message.last_error == "" and message.attempts == 3
    )  # commit, flush (down), flush (back)
    receipt = GeneratedDocument.objects.get(kind=GeneratedDocument.Kind.RECEIPT, key=f"receipt-{dossier.pk}")
    assert receipt.file.storage.exists(receipt.file.name)
    assert AuditEvent.objects.filter(action="receipt_generated", object_id=str(dossier.pk)).count() == 1
    assert AuditEvent.objects.filter(action="receipt_sent", object_id=str(dossier.pk)).count() == 1
    receipts = [m for m in mail.outbox if m.subject == f"Récépissé de dépôt du dossier {dossier.reference}"]
    assert len(receipts) == 1 and receipts[0].to == [mayor.email]
    produced = GeneratedDocument.objects.filter(kind=GeneratedDocument.Kind.RECEIPT).count()
    record("dépôt d'un dossier", {"récépissés": (produced, 1), "courriels": (len(receipts), 1)}, follow_up)
    page = client.get(reverse("depot:submitted", args=[dossier.pk])).content.decode()
    assert "Télécharger le récépissé" in page and RECEIPT_HIDDEN not in page
