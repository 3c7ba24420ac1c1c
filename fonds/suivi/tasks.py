"""Celery tasks of the front office after submission (idempotent: safe to retry)."""
from celery import shared_task


@shared_task(name="fonds.suivi.tasks.generate_convention")
def generate_convention(dossier_pk: int) -> str | None:
    """Generate the convention of an approved dossier (nothing to do if it exists or is moot).

    Not retried automatically: the convention page generates it on demand when it is missing.
    """
    from fonds.dossiers.models import Dossier
    from fonds.dossiers.states import Status

    from .convention import ensure_convention

    dossier = Dossier.objects.select_related("campaign", "commune", "jumelage__partner").filter(pk=dossier_pk).first()
    if dossier is None or dossier.status != Status.APPROVED or dossier.approved_amount is None:
        return None
    return ensure_convention(dossier).sha256
