"""Operational Celery tasks: the worker heartbeat (beat, every minute)."""
import socket

from celery import shared_task
from django.utils import timezone


@shared_task(name="fonds.ops.tasks.heartbeat", ignore_result=True)
def heartbeat() -> str:
    """Record that a worker is alive; the health endpoint reads the most recent row."""
    from .models import Heartbeat

    worker = getattr(heartbeat.request, "hostname", None) or socket.gethostname()
    Heartbeat.objects.update_or_create(worker=worker, defaults={"at": timezone.now()})
    return worker
