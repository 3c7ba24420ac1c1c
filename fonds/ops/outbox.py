"""Transactional outbox: follow-up tasks survive a broker outage.

``enqueue(task, *args)`` writes an ``OutboxMessage`` in the change's transaction; after commit the
transaction's messages are sent at once, together (one connection try, no retries: a dead broker
never hangs a request), else they wait for ``flush()`` (the ``flush_outbox`` beat task). The task
id is the message id and tasks are idempotent. The broker's Redis must persist (docs/runbook.md,
« Broker indisponible »).
"""

from __future__ import annotations

import importlib
import logging
import threading
import uuid

from django.db import transaction
from django.db.models import F

from fonds import clock
from fonds.celery import app

from .models import OutboxMessage

logger = logging.getLogger("fonds.outbox")


#: pks enqueued on this thread and not yet handed to a send (``_send_committed``)
_local = threading.local()


def _waiting() -> dict:
    if not hasattr(_local, "pks"):
        _local.pks = {}
    return _local.pks


def enqueue(task: str, *args, **kwargs):
    """Record ``task(*args, **kwargs)`` to run once the current transaction commits."""
    message = OutboxMessage.objects.create(id=uuid.uuid4(), task=task, args=list(args), kwargs=kwargs)
    if _eager():  # tests: a failing task raises to the caller, as ``.delay`` would
        transaction.on_commit(lambda: send(message.pk), robust=False)
    else:
        _waiting()[message.pk] = None
        transaction.on_commit(lambda: _send_committed(message.pk), robust=True)
    return message


def _send_committed(pk) -> None:
    """After a commit, the first of its messages sends every message waiting on this thread at
    once (one broker connection, one transaction: a session's 500 letters cost one round of each,
    docs/benchmarks.md); the next ones find theirs sent. A message of a rolled-back transaction
    is in the batch too and is not found: it was never written."""
    waiting = _waiting()
    if pk not in waiting:
        return
    batch = list(waiting)
    waiting.clear()
    send_many(batch)


def _eager() -> bool:
    return bool(app.conf.task_always_eager)


def _run_eagerly(message) -> None:
    if message.task not in app.tasks:  # registered when its module is imported (names follow paths)
        importlib.import_module(message.task.rsplit(".", 1)[0])
    app.tasks[message.task].apply(
        args=message.args, kwargs=message.kwargs, task_id=str(message.pk), throw=True
    )


def _publish(messages: list) -> tuple[list, Exception | None]:
    """Send ``messages`` over one broker connection, in order, until one fails: the pks that
    left, and the failure (``None`` when all left)."""
    sent = []
    try:
        with app.connection_for_write() as conn:
            # one attempt (max_retries=0): kombu sleeps 2 s before each retry, which a submission
            # would pay while the broker is down; the messages wait here for flush_outbox instead
            conn.ensure_connection(max_retries=0, timeout=app.conf.broker_connection_timeout or 4)
            for message in messages:
                app.send_task(
                    message.task,
                    args=message.args,
                    kwargs=message.kwargs,
                    task_id=str(message.pk),
                    connection=conn,
                    retry=False,
                )
                sent.append(message.pk)
    except Exception as exc:  # noqa: BLE001 — the broker's failure must not reach the user
        return sent, exc
    return sent, None


def send(pk) -> bool:
    """Try to send one waiting message; True when it left (or had already left)."""
    if _eager():  # tests: the task runs here, in its own transactions, its errors raised
        message = OutboxMessage.objects.filter(pk=pk, sent_at__isnull=True).first()
        if message is not None:
            OutboxMessage.objects.filter(pk=pk).update(sent_at=clock.now(), attempts=message.attempts + 1)
            _run_eagerly(message)
        return True
    return not send_many([pk])["failed"]


def send_many(pks) -> dict:
    """Send the waiting messages among ``pks``, oldest first, in one transaction and over one
    broker connection; ``{"sent": n, "failed": bool}``. Rows another process is sending are
    skipped (locked); on a broker failure the rest are marked with the error and wait for
    ``flush``."""
    if _eager():
        return {"sent": sum(send(pk) for pk in pks), "failed": False}
    with transaction.atomic():
        messages = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk__in=pks, sent_at__isnull=True)
            .order_by("created_at", "pk")
        )
        if not messages:
            return {"sent": 0, "failed": False}
        sent, failure = _publish(messages)
        OutboxMessage.objects.filter(pk__in=sent).update(
            sent_at=clock.now(), attempts=F("attempts") + 1, last_error=""
        )
        if failure is not None:
            unsent = [message for message in messages if message.pk not in sent]
            OutboxMessage.objects.filter(pk__in=[message.pk for message in unsent]).update(
                attempts=F("attempts") + 1, last_error=f"{type(failure).__name__}: {failure}"[:300]
            )
            for message in unsent:
                logger.warning(
                    "outbox: %s non envoyée (%s), nouvel essai par flush_outbox",
                    message.task,
                    type(failure).__name__,
                    extra={"outbox_id": str(message.pk), "task": message.task},
                )
        return {"sent": len(sent), "failed": failure is not None}


def pending():
    return OutboxMessage.objects.filter(sent_at__isnull=True).order_by("created_at")


def flush(limit: int = 1000, batch: int = 100) -> dict:
    """Send waiting messages, oldest first, ``batch`` at a time; stop at the first failure (the
    broker is still down)."""
    pks = list(pending().values_list("pk", flat=True)[:limit])
    sent = 0
    for start in range(0, len(pks), batch):
        outcome = send_many(pks[start : start + batch])
        sent += outcome["sent"]
        if outcome["failed"]:
            return {"sent": sent, "failed": True, "waiting": pending().count()}
    return {"sent": sent, "failed": False, "waiting": pending().count()}
