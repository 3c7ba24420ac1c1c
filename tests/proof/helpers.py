"""Attachments of every kind the fund accepts (PDF of several pages, PNG, JPEG), each page
carrying a text that says which attachment and page it is, so a test can find it in the merge."""

from __future__ import annotations

import hashlib
import io

from django.core.files.base import ContentFile
from PIL import Image

from fonds.dossiers.models import Document


def pdf_pages(label: str, pages: int) -> bytes:
    """A PDF of ``pages`` pages, page n showing « <label> page n » (WeasyPrint, as the fund's own)."""
    from fonds.documents.pdf import write_pdf

    body = "".join(f'<p style="page-break-after: always">{label} page {n}</p>' for n in range(1, pages + 1))
    return write_pdf(f"<html><body>{body}</body></html>")


def image_bytes(fmt: str, colour=(0, 0, 145)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, format=fmt)
    return out.getvalue()


def attach(dossier, kind: str, name: str, data: bytes, content_type: str) -> Document:
    return Document.objects.create(
        dossier=dossier,
        kind=kind,
        file=ContentFile(data, name=name),
        original_name=name,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=dossier.created_by,
    )
