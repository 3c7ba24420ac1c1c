"""Operational Celery tasks: the worker heartbeat (beat, every minute)."""

import socket

from celery import shared_task

from fonds import clock

from .models import Heartbeat
from .outbox import flush


@shared_task(name="fonds.ops.tasks.heartbeat", ignore_result=True)
def heartbeat() -> str:
    """Record that a worker is alive; the health endpoint reads the most recent row."""
    worker = getattr(heartbeat.request, "hostname", None) or socket.gethostname()
    Heartbeat.objects.update_or_create(worker=worker, defaults={"at": clock.now()})
    return worker


@shared_task(name="fonds.ops.tasks.flush_outbox", ignore_result=True)
def flush_outbox() -> dict:
    """Send the follow-up tasks that could not leave when their transaction committed."""
    return flush()
