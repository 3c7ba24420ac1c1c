"""Uploading a document (pièce justificative): checked by content, hashed, audited, versioned.

PDF, JPEG or PNG by their first bytes, never by the name; a PDF opens, has a page, is neither
encrypted nor active; no polyglot (also a ZIP, HTML or script); sizes and decompression limits
from the campaign (``inspection.py``, ``decompression.py``). A replaced document keeps its old version.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Sum

from fonds.audit import chain as audit

from .access import can_edit
from .limits import Limits, limits_for
from .models import Document, Dossier

MAGIC = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)


@dataclass(frozen=True)
class Sniffed:
    content_type: str
    extension: str


def sniff(head: bytes) -> Sniffed | None:
    for magic, content_type, extension in MAGIC:
        if head.startswith(magic):
            return Sniffed(content_type, extension)
    return None


def safe_name(name: str, extension: str) -> str:
    """A file name safe for any file system and any header: ASCII letters, digits, - and _."""
    stem = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode("ascii")
    stem = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", stem)
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-_")[:80] or "document"
    return f"{stem}.{extension}"


def check_size(data: bytes, uploads: dict) -> None:
    """Refuse (French ValidationError) an empty file or one over the campaign's size limit
    (``uploads``: the ``uploads`` rules of the campaign)."""
    if not data:
        raise ValidationError("Le fichier est vide.")
    if len(data) > int(uploads["max_file_mb"]) * 1024 * 1024:
        raise ValidationError(f"Le fichier dépasse {uploads['max_file_mb']} Mo.")


def check_file(data: bytes, uploads: dict, *, bombs: Limits | None = None) -> Sniffed:
    """What every upload passes, by content: ``check_size``, then a readable PDF, JPEG or PNG with
    nothing active in it and bounded once decompressed (``bombs``, default limits if None)."""
    check_size(data, uploads)
    sniffed = sniff(data[:16])
    if sniffed is None:
        raise ValidationError(
            "Seuls les fichiers PDF, JPEG et PNG sont acceptés "
            "(le contenu du fichier ne correspond à aucun de ces formats)."
        )
    if sniffed.content_type == "application/pdf":
        check_pdf(data, bombs)
    else:
        _inspection().check_image(data, bombs)
    return sniffed


def check_pdf(data: bytes, bombs: Limits | None = None) -> None:
    """A readable, unencrypted PDF with a page, nothing active and bounded streams (``inspection``)."""
    _inspection().check_pdf(data, bombs)


def _inspection():
    from . import inspection  # noqa: PLC0415 — pypdf and Pillow load on the first upload, not at start-up

    return inspection


def add_document(dossier: Dossier, *, by, kind: str, name: str, data: bytes) -> Document:
    """Store one upload for ``dossier`` if ``by`` may edit it; raise ValidationError in French otherwise."""
    if kind not in Document.Kind.values:
        raise ValidationError("Type de pièce inconnu.")
    limits = dossier.rules.params["uploads"]
    max_dossier = int(limits["max_dossier_mb"]) * 1024 * 1024
    kind_of_file = check_file(data, limits, bombs=limits_for(limits))
    digest = hashlib.sha256(data).hexdigest()
    stored = []
    try:
        return _store(dossier, by, kind, name, data, digest, kind_of_file, max_dossier, limits, stored)
    except BaseException:
        for path in stored:  # nothing half-stored: remove the file of a rolled-back upload
            Document._meta.get_field("file").storage.delete(path)
        raise


def _store(dossier, by, kind, name, data, digest, kind_of_file, max_dossier, limits, stored):
    with transaction.atomic():
        locked = Dossier.objects.select_for_update().get(pk=dossier.pk)
        if not can_edit(by, locked):
            raise PermissionDenied("Les pièces de ce dossier ne sont pas modifiables dans son état actuel.")
        current = Document.objects.filter(dossier=locked, replaced_by__isnull=True)
        used = current.aggregate(total=Sum("size"))["total"] or 0
        previous = current.filter(kind=kind).exclude(kind=Document.Kind.OTHER).first()
        if used - (previous.size if previous else 0) + len(data) > max_dossier:
            raise ValidationError(
                f"Le total des pièces du dossier dépasserait {limits['max_dossier_mb']} Mo."
            )
        return file_document(
            locked,
            previous,
            by=by,
            role="porteur",
            kind=kind,
            name=name,
            data=data,
            digest=digest,
            sniffed=kind_of_file,
            stored=stored,
        )


def file_document(
    locked,
    previous,
    *,
    by,
    role: str,
    kind,
    name: str,
    data: bytes,
    digest: str,
    sniffed,
    stored: list,
    **extra,
) -> Document:
    """Store checked ``data`` as a new document of the locked dossier, replacing ``previous``, and
    append its ``document_uploaded`` event (``extra`` added to the payload); the stored file's name
    goes to ``stored`` so that a rolled-back caller can delete it. Inside the caller's transaction."""
    document = Document(
        dossier=locked,
        kind=kind,
        original_name=(name or "")[:200],
        content_type=sniffed.content_type,
        size=len(data),
        sha256=digest,
        uploaded_by=by,
    )
    document.file.save(safe_name(name, sniffed.extension), ContentFile(data), save=False)
    stored.append(document.file.name)
    document.save()
    if previous is not None:
        Document.objects.filter(pk=previous.pk).update(replaced_by=document)
    audit.append(
        "document_uploaded",
        actor=by,
        role=role,
        obj=locked,
        payload={
            "reference": locked.reference,
            "document": document.pk,
            "kind": kind,
            "name": document.original_name,
            "content_type": document.content_type,
            "size": document.size,
            "sha256": digest,
            "replaces": {"document": previous.pk, "sha256": previous.sha256} if previous else None,
            **extra,
        },
    )
    return document
