"""Celery application: the embedded profile uses a SQLite-backed broker, production Redis/RabbitMQ."""

import os
import threading

from celery import Celery, signals
from django.db import close_old_connections, connections

from fonds.startup import freeze_startup

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fonds.settings")

app = Celery("fonds")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["workflows"])


@signals.task_prerun.connect
@signals.task_postrun.connect
def _close_old_connections(sender=None, **kwargs):
    """Around each task, what Django does around each request: close a connection older than
    ``CONN_MAX_AGE`` or left broken, and check a kept one before its first query
    (``CONN_HEALTH_CHECKS``). Not for an eager task: it runs inside its caller's transaction. A
    thread pool's thread (tests' in-process worker) closes its connections: it may end without
    notice, and its connection would stay open as long as the process."""
    if sender is not None and getattr(sender.request, "is_eager", False):
        return
    if threading.current_thread() is threading.main_thread():
        close_old_connections()
    else:
        connections.close_all()


@signals.worker_process_init.connect(dispatch_uid="fonds.startup.freeze_child")
@signals.worker_ready.connect(dispatch_uid="fonds.startup.freeze_worker")
def _freeze_startup(**kwargs):
    """Each pool process (and a solo worker) freezes its start-up objects (``fonds.startup``).
    Not the URLconf: a pool process that is not up within 4 s is killed by Celery."""
    freeze_startup(load_urls=False)
