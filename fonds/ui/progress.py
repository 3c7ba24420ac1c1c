"""Background jobs and documents a person waits for, and the JSON a progress display polls.

``ProgressJob``: the shared fields of a job queued, run by a task and finished or failed (bulk
actions, what-if replays, invitation imports); ``job_states`` its states preceded by a job's own
(an import is checked before it is queued); ``progress_response`` the JSON ``progress.js`` polls.
``document_progress``: where a document made by a Celery task stands (ready, in preparation,
late, failed), and ``document_status_response`` its JSON, so no page tells a person to
« réessayer ».
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from celery.result import AsyncResult
from django.conf import settings
from django.db import models
from django.http import JsonResponse

from fonds import clock
from fonds.celery import app
from fonds.documents.models import GeneratedDocument
from fonds.ops.models import OutboxMessage


class ProgressJob(models.Model):
    """A job queued, run by a task and finished (or failed, with its error). The concrete model
    declares ``total`` and ``done`` with labels that name what it counts."""

    class State(models.TextChoices):
        QUEUED = "queued", "En attente"
        RUNNING = "running", "En cours"
        FINISHED = "finished", "Terminée"
        FAILED = "failed", "Interrompue"

    status = models.CharField("état", max_length=10, choices=State.choices, default=State.QUEUED)
    error = models.TextField("erreur", blank=True)
    finished_at = models.DateTimeField("terminée le", null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(self.done * 100 / self.total)

    @property
    def is_over(self) -> bool:
        return self.status in (self.State.FINISHED, self.State.FAILED)


def job_states(*first: tuple[str, str, str]) -> type[models.TextChoices]:
    """``ProgressJob.State`` preceded by a job's own states, given as ``(NAME, value, label)``; the
    job redeclares ``status`` with these choices and its own default."""
    members = [(name, (value, label)) for name, value, label in first]
    members += [(state.name, (state.value, state.label)) for state in ProgressJob.State]
    return models.TextChoices("State", members)


def progress_response(job, **extra) -> JsonResponse:
    return JsonResponse(
        {
            "id": job.pk,
            "status": job.status,
            "status_label": job.get_status_display(),
            "total": job.total,
            "done": job.done,
            "percent": job.percent,
            "over": job.is_over,
            **extra,
        }
    )


READY, PENDING, LATE, FAILED, NONE = "ready", "pending", "late", "failed", "none"
STATE_LABELS = {
    READY: "Prêt",
    PENDING: "En préparation",
    LATE: "En préparation, plus longue que prévu",
    FAILED: "Échec de la préparation",
    NONE: "Pas demandé",
}


@dataclass(frozen=True)
class DocumentProgress:
    """Where one generated document stands; ``document`` once it is ready."""

    state: str
    document: GeneratedDocument | None = None
    since: dt.datetime | None = None

    @property
    def label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def over(self) -> bool:
        """Nothing more to wait for: ready, failed, or never asked for."""
        return self.state in (READY, FAILED, NONE)

    def message(self, what: str) -> str:
        """One French sentence for the page's live region; ``what`` names the document (« le
        récépissé »)."""
        return {
            READY: f"C'est prêt : vous pouvez télécharger {what}.",
            PENDING: "Préparation en cours : cette page se met à jour toute seule et propose le "
            "téléchargement dès que possible.",
            LATE: "La préparation prend plus de temps que prévu. Cette page continue de se mettre à "
            "jour ; si rien ne change, demandez de l'aide (lien ci-dessous).",
            FAILED: "La préparation a échoué. L'incident est enregistré ; demandez de l'aide (lien "
            "ci-dessous) : il n'y a rien à refaire de votre côté.",
            NONE: f"La préparation de ce document n'a pas été demandée : {what} n'existe pas encore.",
        }[self.state]


def task_state(task_id: str) -> str:
    """The Celery state of a task (``PENDING`` when unknown or when the result store does not
    answer: the page keeps waiting rather than failing). Eager tasks (tests) store no result: a
    failing one raised to its caller."""
    if app.conf.task_always_eager:
        return "PENDING"
    try:
        return AsyncResult(task_id, app=app).state
    except Exception:  # noqa: BLE001 — a result store down must not break the page that polls
        return "PENDING"


def document_progress(kind: str, key: str, *, task: str, args: list) -> DocumentProgress:
    """The document ``(kind, key)`` if stored; else the state of the last outbox message that asked
    ``task(*args)`` for it: failed (the task gave up), late (waiting longer than
    ``FJJ_DOCUMENT_LATE_MINUTES``), in preparation; ``NONE`` when nothing asked for it."""
    document = GeneratedDocument.objects.filter(kind=kind, key=key).first()
    if document is not None:
        return DocumentProgress(READY, document, document.created_at)
    message = OutboxMessage.objects.filter(task=task, args=list(args)).order_by("-created_at").first()
    if message is None:
        return DocumentProgress(NONE)
    if task_state(str(message.pk)) == "FAILURE":
        return DocumentProgress(FAILED, since=message.created_at)
    late = clock.now() - message.created_at > dt.timedelta(minutes=settings.FJJ_DOCUMENT_LATE_MINUTES)
    return DocumentProgress(LATE if late else PENDING, since=message.created_at)


def document_progress_context(
    progress: DocumentProgress,
    *,
    what: str,
    status_url: str,
    download_url: str,
    download_label: str,
    help_url: str = "",
    help_label: str = "Signalez-le à l'administrateur de la plateforme",
) -> dict:
    """The context of ``web/_document_progress.html`` (one include for every such page)."""
    return {
        "progress": progress,
        "message": progress.message(what),
        "status_url": status_url,
        "download_url": download_url,
        "download_label": download_label,
        "help_url": help_url,
        "help_label": help_label,
    }


def document_status_response(progress: DocumentProgress, *, what: str, download_url: str) -> JsonResponse:
    """The JSON the document's progress display polls; ``download_url`` only once ready."""
    return JsonResponse(
        {
            "state": progress.state,
            "state_label": progress.label,
            "message": progress.message(what),
            "over": progress.over,
            "download_url": download_url if progress.state == READY else "",
            "size": progress.document.size if progress.document else None,
        }
    )
