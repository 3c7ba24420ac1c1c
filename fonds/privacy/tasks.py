from celery import shared_task

from .services import due_for_purge, purge


@shared_task(name="fonds.privacy.tasks.purge_minors_data", ignore_result=True)
def purge_minors_data() -> dict:
    """Daily (beat): purge the minors' data of every finished dossier past its retention period."""

    purged = sum(1 for pk in list(due_for_purge()) if purge(pk))
    return {"purged": purged}
