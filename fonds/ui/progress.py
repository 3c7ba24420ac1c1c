"""Background jobs with a progress bar (bulk actions, what-if replays): their shared fields
(``ProgressJob``) and the JSON that ``progress.js`` polls (``progress_response``)."""

from django.db import models
from django.http import JsonResponse


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
