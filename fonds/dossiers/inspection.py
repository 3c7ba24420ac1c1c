"""What an upload holds, opened with pypdf and Pillow: no other format hidden in it (polyglot), no
active content in a PDF, and nothing that inflates beyond the limits (``decompression.py``).
Imported on the first upload only (``documents._inspection``): both libraries are heavy."""

from __future__ import annotations

import io
import re
import zipfile

from django.core.exceptions import ValidationError
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from .decompression import check_image_pixels, check_pdf_streams
from .limits import Limits, limits_for

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


def check_image(data: bytes, limits: Limits | None = None) -> None:
    """An image may carry a maker's trailer (phones append some) but no archive, page or script,
    and declares no more pixels than the limit (decompression bomb)."""
    _check_not_polyglot(data)
    check_image_pixels(data, limits or limits_for())


def check_pdf(data: bytes, limits: Limits | None = None) -> None:
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
