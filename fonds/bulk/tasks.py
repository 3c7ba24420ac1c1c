"""Celery task of the bulk actions (idempotent: a retry resumes after the last committed chunk)."""

from celery import shared_task

from .services import DEFAULT_CHUNK, run_job


@shared_task(name="fonds.bulk.tasks.run_bulk_job", acks_late=True)
def run_bulk_job(job_id: int, chunk_size: int = DEFAULT_CHUNK) -> dict:
    job = run_job(job_id, chunk_size)
    return {
        "job": job.pk,
        "done": job.done,
        "succeeded": job.succeeded,
        "failed": job.failed,
        "status": job.status,
    }
