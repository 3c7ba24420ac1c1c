"""Celery tasks of the proof app (queues: ``fonds.ops.queues``). Idempotent: the complete PDF is
stored once per version (``store_once``); an archive job that finished is left as it is."""

from __future__ import annotations

from celery import shared_task

from . import archive, complete
from .audiences import Audience


@shared_task(name="fonds.proof.tasks.build_dossier_pdf")
def build_dossier_pdf(dossier_id: int, audience: str, seq: int) -> dict:
    """Make the complete PDF of the dossier's current version. ``seq`` is the version asked for
    (it names the request); if the dossier moved on meanwhile, the current version is made."""
    document = complete.ensure(dossier_id, Audience(audience))
    return {"document": document.pk, "sha256": document.sha256, "asked_seq": seq}


@shared_task(name="fonds.proof.tasks.build_campaign_archive", acks_late=True)
def build_campaign_archive(archive_id: int) -> dict:
    """Write a campaign's archive (ZIP on disk, entry by entry) and audit its SHA-256."""
    job = archive.build(archive_id)
    return {"archive": job.pk, "status": job.status, "sha256": job.sha256, "size": job.size}
