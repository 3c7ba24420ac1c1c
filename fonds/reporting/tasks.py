"""Celery tasks of the exports (idempotent: a finished job is left as it is)."""

from celery import shared_task

from .exports import build_job


@shared_task(name="fonds.reporting.tasks.build_export", acks_late=True)
def build_export(job_id: int) -> dict:

    job = build_job(job_id)
    return {"job": job.pk, "state": job.state, "rows": job.rows_done, "sha256": job.sha256}
