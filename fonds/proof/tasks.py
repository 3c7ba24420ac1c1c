"""Celery tasks of the proof app (queues: ``fonds.ops.queues``). Idempotent: the complete PDF is
stored once per version (``store_once``); an archive job that finished is left as it is."""

from __future__ import annotations

from celery import shared_task

from . import complete
from .audiences import Audience


@shared_task(name="fonds.proof.tasks.build_dossier_pdf")
def build_dossier_pdf(dossier_id: int, audience: str, seq: int) -> dict:
    """Make the complete PDF of the dossier's current version. ``seq`` is the version asked for
    (it names the request); if the dossier moved on meanwhile, the current version is made."""
    document = complete.ensure(dossier_id, Audience(audience))
    return {"document": document.pk, "sha256": document.sha256, "asked_seq": seq}
