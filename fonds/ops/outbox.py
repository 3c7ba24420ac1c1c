"""Transactional outbox: follow-up tasks survive a broker outage.

``enqueue(task, *args)`` writes an ``OutboxMessage`` in the change's transaction; after commit it
is sent at once (one connection try, no retries: a dead broker never hangs a request), else it
waits for ``flush()`` (the ``flush_outbox`` beat task). The task id is the message id and tasks
are idempotent. The broker's Redis must persist (docs/runbook.md, « Broker indisponible »).
"""

from __future__ import annotations

import importlib
import logging
import uuid

from django.db import transaction

from fonds import clock
from fonds.celery import app

from .models import OutboxMessage

logger = logging.getLogger("fonds.outbox")


def enqueue(task: str, *args, **kwargs):
    """Record ``task(*args, **kwargs)`` to run once the current transaction commits."""
    message = OutboxMessage.objects.create(id=uuid.uuid4(), task=task, args=list(args), kwargs=kwargs)
    # eager (tests): a failing task raises to the caller, as ``.delay`` would
    transaction.on_commit(lambda: send(message.pk), robust=not app.conf.task_always_eager)
    return message


def _eager() -> bool:
    return bool(app.conf.task_always_eager)


def _publish(message) -> None:
    if app.conf.task_always_eager:
        if (
            message.task not in app.tasks
        ):  # registered when its module is imported (names follow module paths)
            importlib.import_module(message.task.rsplit(".", 1)[0])
        app.tasks[message.task].apply(
            args=message.args, kwargs=message.kwargs, task_id=str(message.pk), throw=True
        )
        return
    with app.connection_for_write() as conn:
        # one attempt (max_retries=0): kombu sleeps 2 s before each retry, which a submission would
        # pay while the broker is down; the message waits here for flush_outbox instead
        conn.ensure_connection(max_retries=0, timeout=app.conf.broker_connection_timeout or 4)
        app.send_task(
            message.task,
            args=message.args,
            kwargs=message.kwargs,
            task_id=str(message.pk),
            connection=conn,
            retry=False,
        )


def send(pk) -> bool:
    """Try to send one waiting message; True when it left (or had already left)."""
    if _eager():  # tests: the task runs here, in its own transactions, its errors raised
        message = OutboxMessage.objects.filter(pk=pk, sent_at__isnull=True).first()
        if message is not None:
            OutboxMessage.objects.filter(pk=pk).update(sent_at=clock.now(), attempts=message.attempts + 1)
            _publish(message)
        return True
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=pk, sent_at__isnull=True)
            .first()
        )
        if message is None:
            return True  # already sent, or another process is sending it now
        try:
            _publish(message)
        except Exception as exc:  # noqa: BLE001 — the broker's failure must not reach the user
            OutboxMessage.objects.filter(pk=pk).update(
                attempts=message.attempts + 1, last_error=f"{type(exc).__name__}: {exc}"[:300]
            )
            logger.warning(
                "outbox: %s non envoyée (%s), nouvel essai par flush_outbox",
                message.task,
                type(exc).__name__,
                extra={"outbox_id": str(pk), "task": message.task},
            )
            return False
        OutboxMessage.objects.filter(pk=pk).update(
            sent_at=clock.now(), attempts=message.attempts + 1, last_error=""
        )
        return True


def pending():
    return OutboxMessage.objects.filter(sent_at__isnull=True).order_by("created_at")


def flush(limit: int = 1000) -> dict:
    """Send waiting messages, oldest first; stop at the first failure (the broker is still down)."""
    sent = 0
    for pk in list(pending().values_list("pk", flat=True)[:limit]):
        if not send(pk):
            return {"sent": sent, "failed": True, "waiting": pending().count()}
        sent += 1
    return {"sent": sent, "failed": False, "waiting": pending().count()}
