"""Store a generated PDF once per ``(kind, key)``, sealed by the fund, and audit its creation.

``store_once`` is what makes PDF tasks idempotent: a retried task finds the document it already
made (nothing rendered twice), and of two racing ones the loser drops its file and returns the
winner's. A file written for a row that is not saved is deleted. Every document is sealed
(``seal.py``, PAdES) before it is hashed: the SHA-256 in the trail is that of the sealed file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from fonds.audit import chain

from .models import GeneratedDocument
from .seal import seal_pdf, sealing


def store_once(
    kind: str,
    key: str,
    render: Callable[[], bytes],
    *,
    filename: str,
    dossier=None,
    audit: str | None = None,
    payload: Callable[[], dict] | None = None,
) -> tuple[GeneratedDocument, bool]:
    """The document ``(kind, key)``, stored from ``render()`` if missing: ``(document, created)``.

    ``audit`` names the system's event on the dossier (else on the document): its payload is
    ``payload()`` plus the document's ``document`` (pk), ``sha256`` and ``size``. ``render`` and
    ``payload`` are called only when the document is made.
    """
    existing = GeneratedDocument.objects.filter(kind=kind, key=key).first()
    if existing is not None:
        return existing, False
    data = render()
    if sealing():
        data = seal_pdf(data)
    document = GeneratedDocument(
        kind=kind, key=key, dossier=dossier, sha256=hashlib.sha256(data).hexdigest(), size=len(data)
    )
    try:
        document.file.save(filename, ContentFile(data), save=False)
        with transaction.atomic():
            if dossier is not None:
                # the dossier row before the chain head, as transitions do: otherwise a transition holding
                # the row and waiting for the head deadlocks with this COMMIT's deferred FK check on the row
                list(type(dossier).objects.select_for_update().filter(pk=dossier.pk).values_list("pk"))
            document.save()
            if audit:
                chain.append(
                    audit,
                    actor=None,
                    role="system",
                    obj=dossier if dossier is not None else document,
                    payload={
                        **(payload() if payload else {}),
                        "document": document.pk,
                        "sha256": document.sha256,
                        "size": document.size,
                    },
                )
    except IntegrityError:  # made meanwhile by another request or task: keep theirs
        _delete_file(document)
        return GeneratedDocument.objects.get(kind=kind, key=key), False
    except BaseException:
        _delete_file(document)
        raise
    return document, True


def _delete_file(document: GeneratedDocument) -> None:
    if document.file.name:
        document.file.storage.delete(document.file.name)
