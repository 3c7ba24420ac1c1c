"""The four task queues and which task goes where (issue 23).

A mayor's receipt must not wait behind a 20,000-dossier bulk job: each kind of work has its own
queue, and production gives each queue its own workers (docs/runbook.md). A worker started without
``-Q`` consumes every queue (the embedded profile's single worker); ``-Q bulk`` only the bulk one.

* ``interactive`` (default): receipts, emails, notifications, reminders, the outbox and heartbeat;
* ``documents``: decision letters, minutes, conventions and other generated PDFs;
* ``bulk``: bulk actions, exports, CSV imports, what-if replays, archives;
* ``audit``: chain verification and anchoring.

Routing is by task name (``fnmatch`` patterns, first match wins); it applies to ``send_task`` too,
so the outbox's messages are routed like direct calls. A task not listed goes to ``interactive``.
"""

from fnmatch import fnmatchcase

from kombu import Exchange, Queue

INTERACTIVE, DOCUMENTS, BULK, AUDIT = "interactive", "documents", "bulk", "audit"
QUEUE_NAMES = (INTERACTIVE, DOCUMENTS, BULK, AUDIT)
DEFAULT_QUEUE = INTERACTIVE

#: (task name pattern, queue), first match wins
ROUTES: tuple[tuple[str, str], ...] = (
    # documents: PDFs that can wait a few seconds (the receipt stays interactive: the mayor waits for it)
    ("fonds.comite.tasks.generate_decision_letter", DOCUMENTS),
    ("fonds.comite.tasks.generate_minutes", DOCUMENTS),
    ("fonds.suivi.tasks.generate_convention", DOCUMENTS),
    ("fonds.documents.tasks.*", DOCUMENTS),
    ("fonds.proof.tasks.build_dossier_pdf", DOCUMENTS),
    # bulk: long jobs over many dossiers
    ("fonds.bulk.tasks.*", BULK),
    ("fonds.reporting.tasks.build_export", BULK),
    ("fonds.administration.tasks.run_whatif", BULK),
    ("fonds.depot.tasks.run_invitation_import", BULK),
    ("fonds.proof.tasks.build_campaign_archive", BULK),
    # audit: verification and anchoring of the trail
    ("fonds.audit.tasks.*", AUDIT),
    ("fonds.anchors.tasks.*", AUDIT),
)


def queue_for(task_name: str) -> str:
    """The queue a task is sent to."""
    for pattern, queue in ROUTES:
        if fnmatchcase(task_name, pattern):
            return queue
    return DEFAULT_QUEUE


def route_task(name, args, kwargs, options, task=None, **kw):
    """Celery router (``CELERY_TASK_ROUTES``): the task's queue by its name."""
    return {"queue": queue_for(name)}


def declared_queues() -> tuple[Queue, ...]:
    """``CELERY_TASK_QUEUES``: what a worker without ``-Q`` consumes (all four)."""
    return tuple(Queue(name, Exchange(name, type="direct"), routing_key=name) for name in QUEUE_NAMES)
