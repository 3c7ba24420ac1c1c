"""Celery task of the what-if replay (idempotent: a finished job is not run again)."""

from celery import shared_task

from .whatif import run_job


@shared_task(name="fonds.administration.tasks.run_whatif", acks_late=True)
def run_whatif(job_id: int) -> dict:
    job = run_job(job_id)
    return {"job": job.pk, "status": job.status, "done": job.done}
