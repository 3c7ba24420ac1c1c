"""Uploading a document (pièce justificative): checked by content, hashed, audited, versioned.

PDF, JPEG or PNG by their first bytes, never by the name; a PDF opens, has a page, is neither
encrypted nor active; no polyglot (also a ZIP, HTML or script); sizes and decompression limits
from the campaign (``decompression.py``). A replaced document keeps its old version.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Sum
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from fonds.audit import chain as audit

from .access import can_edit
from .decompression import Limits, check_image_pixels, check_pdf_streams, limits_for
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


#: signatures of another format hidden in an upload (polyglot files): ZIP (also DOCX, JAR, APK),
#: HTML/JS/PHP that a browser or a server could be tricked into running
#: (markers of 5 bytes or more: a chance match in 10 MB of compressed data stays below 1 in 5,000)
FOREIGN_MARKERS = (b"<script", b"<html", b"<?php", b"<!doctype html", b"<iframe", b"<svg ", b"<svg>")
#: PDF names of active content; checked in the raw bytes and in the parsed document (object streams)
PDF_ACTIVE = (
    "/JavaScript",
    "/JS",
    "/Launch",
    "/EmbeddedFile",
    "/EmbeddedFiles",
    "/RichMedia",
    "/XFA",
    "/SubmitForm",
    "/ImportData",
)
POLYGLOT = (
    "Ce fichier contient aussi un autre format (archive, page web ou script) : "
    "enregistrez-le à nouveau en PDF, JPEG ou PNG simple."
)
ACTIVE = (
    "Ce PDF contient du contenu actif (JavaScript, lancement d'application ou fichier joint) : "
    "imprimez-le en PDF simple puis déposez-le à nouveau."
)


def _check_not_polyglot(data: bytes) -> None:
    if zipfile.is_zipfile(io.BytesIO(data)):  # a valid end-of-archive record: also a ZIP (DOCX, JAR…)
        raise ValidationError(POLYGLOT)
    lowered = data.lower()
    if any(marker in lowered for marker in FOREIGN_MARKERS):
        raise ValidationError(POLYGLOT)


def _pdf_has_active_content(data: bytes, reader) -> bool:
    if any(re.search(re.escape(name.encode()) + rb"(?![A-Za-z0-9])", data) for name in PDF_ACTIVE):
        return True
    seen = set()

    def walk(obj, depth=0) -> bool:
        if depth > 40:
            return False
        try:
            obj = obj.get_object()
        except Exception:  # noqa: BLE001 — a broken reference is not active content
            return False
        key = id(obj)
        if key in seen:
            return False
        seen.add(key)
        if isinstance(obj, dict):
            if obj.get("/S") in ("/JavaScript", "/Launch", "/ImportData", "/SubmitForm") or any(
                k in obj for k in PDF_ACTIVE
            ):
                return True
            return any(walk(v, depth + 1) for v in obj.values())
        if isinstance(obj, list):
            return any(walk(v, depth + 1) for v in obj)
        return False

    return walk(reader.trailer["/Root"])


def _check_image(data: bytes, extension: str, limits: Limits | None = None) -> None:
    """An image may carry a maker's trailer (phones append some) but no archive, page or script,
    and declares no more pixels than the limit (decompression bomb)."""
    _check_not_polyglot(data)
    check_image_pixels(data, limits or limits_for())


def _check_pdf(data: bytes, limits: Limits | None = None) -> None:
    """Readable, unencrypted, at least a page, no active content, and its streams bounded once
    decompressed (measured first, before anything decodes them: ``decompression.py``)."""
    _check_not_polyglot(data)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise ValidationError(
                "Ce PDF est protégé par un mot de passe : "
                "enregistrez-le sans protection puis déposez-le à nouveau."
            )
        check_pdf_streams(reader, limits or limits_for())
        if len(reader.pages) == 0:
            raise ValidationError("Ce PDF ne contient aucune page.")
        if _pdf_has_active_content(data, reader):
            raise ValidationError(ACTIVE)
    except ValidationError:
        raise
    except (
        PyPdfError,
        ValueError,
        KeyError,
        TypeError,
        IndexError,
        AttributeError,
        RecursionError,
        OSError,
    ) as exc:
        raise ValidationError(
            "Ce PDF est illisible ou endommagé : exportez-le à nouveau depuis votre logiciel."
        ) from exc


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
        _check_pdf(data, bombs)
    else:
        _check_image(data, sniffed.extension, bombs)
    return sniffed


def add_document(dossier: Dossier, *, by, kind: str, name: str, data: bytes) -> Document:
    """Store one upload for ``dossier`` if ``by`` may edit it; raise ValidationError in French otherwise."""
    if kind not in Document.Kind.values:
        raise ValidationError("Type de pièce inconnu.")
    limits = dossier.campaign.rules.params["uploads"]
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
