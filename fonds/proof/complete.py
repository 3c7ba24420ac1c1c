"""The complete dossier PDF as a service: its key, where it stands, asking for it (outbox), and
making it (the task), stored once per dossier version and audience, sealed and audited.

A version is the dossier's last audit event (``content.last_seq``): when the dossier moves on,
the page offers a new PDF; the old ones stay in the store with their hashes in the trail.
"""

from __future__ import annotations

from django.db import transaction

from fonds.documents.models import GeneratedDocument
from fonds.documents.store import store_once
from fonds.dossiers.models import Dossier
from fonds.ops import outbox
from fonds.ui.progress import FAILED, NONE, DocumentProgress, document_progress

from . import assemble, content
from .audiences import Audience

TASK = "fonds.proof.tasks.build_dossier_pdf"
KIND = GeneratedDocument.Kind.OTHER  # no kind of its own: no migration of fonds.documents


def key(dossier_id: int, audience: Audience, seq: int) -> str:
    return f"complete-{audience.value}-{int(dossier_id)}-{int(seq)}"


def filename(dossier, audience: Audience, seq: int) -> str:
    return f"dossier-complet-{dossier.reference}-{audience.value}-{seq}.pdf"


def progress(dossier_id: int, audience: Audience) -> DocumentProgress:
    """The PDF of the dossier's current version for ``audience``: ready, asked for, or not asked."""
    seq = content.last_seq(dossier_id, audience)
    return document_progress(
        KIND, key(dossier_id, audience, seq), task=TASK, args=[dossier_id, audience.value, seq]
    )


def request(dossier, audience: Audience) -> DocumentProgress:
    """Ask for the PDF of the current version (through the outbox), unless it is ready or already
    asked for; returns where it stands after the request."""
    current = progress(dossier.pk, audience)
    if current.state in (NONE, FAILED):
        with transaction.atomic():
            outbox.enqueue(
                "fonds.proof.tasks.build_dossier_pdf",
                dossier.pk,
                audience.value,
                content.last_seq(dossier.pk, audience),
            )
        current = progress(dossier.pk, audience)
    return current


def ensure(dossier_id: int, audience: Audience) -> GeneratedDocument:
    """The PDF of the dossier's current version for ``audience``, made and stored if missing."""
    dossier = Dossier.objects.select_related("commune", "campaign", "jumelage").get(pk=dossier_id)
    seq = content.last_seq(dossier_id, audience)
    document, _ = store_once(
        KIND,
        key(dossier_id, audience, seq),
        lambda: assemble.assemble(dossier, audience, seq),
        filename=filename(dossier, audience, seq),
        dossier=dossier,
        audit=content.GENERATED_EVENT,
        payload=lambda: {"reference": dossier.reference, "audience": audience.value, "version_seq": seq},
    )
    return document
