"""The complete dossier's PDF, assembled: the front part (WeasyPrint), every attachment in order
(a PDF appended page by page with pypdf, an image drawn on a page of its own by WeasyPrint), then
the back part ending with the last hash. Each part starts with an entry of the PDF's outline.

An attachment pypdf cannot read (it passed the upload checks, but a reader may still choke) is
replaced by a page that says so and gives its SHA-256: the dossier is never left without its proof.
"""

from __future__ import annotations

import base64
import io

from django.template.loader import render_to_string
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PdfReadError

from fonds.documents.pdf import write_pdf

from . import content
from .audiences import Audience

IMAGE_TYPES = ("image/jpeg", "image/png")


def render_front(dossier, audience: Audience, docs) -> bytes:
    return write_pdf(
        render_to_string("pdf/complete_front.html", content.front_context(dossier, audience, docs))
    )


def render_back(dossier, audience: Audience, upto: int) -> bytes:
    return write_pdf(
        render_to_string("pdf/complete_back.html", content.back_context(dossier, audience, upto))
    )


def _read(document) -> bytes:
    with document.file.open("rb") as fh:
        return fh.read()


def _page_for(number: int, document, *, data: bytes | None, unreadable: bool = False) -> bytes:
    """One page: the image (data URI, nothing fetched) or the notice of an unreadable file."""
    image = None
    if data is not None and not unreadable:
        image = f"data:{document.content_type};base64,{base64.b64encode(data).decode('ascii')}"
    return write_pdf(
        render_to_string(
            "pdf/complete_attachment.html",
            {"number": number, "document": document, "image": image, "unreadable": unreadable},
        )
    )


def attachment_reader(number: int, document) -> PdfReader:
    """The pages of attachment ``number`` (1-based) as a PDF reader."""
    data = _read(document)
    if document.content_type in IMAGE_TYPES:
        return PdfReader(io.BytesIO(_page_for(number, document, data=data)))
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise PdfReadError("chiffré")
        len(reader.pages)  # parses the page tree now, not halfway through the merge
        return reader
    except (PdfReadError, ValueError, KeyError, TypeError):
        return PdfReader(io.BytesIO(_page_for(number, document, data=None, unreadable=True)))


def assemble(dossier, audience: Audience, upto: int) -> bytes:
    """The complete PDF (unsealed: ``store_once`` seals it)."""
    docs = content.attachments(dossier)
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(render_front(dossier, audience, docs))), outline_item="Dossier déposé")
    for number, document in enumerate(docs, start=1):
        label = f"Pièce {number} : {document.get_kind_display()} ({document.original_name})"
        writer.append(attachment_reader(number, document), outline_item=label)
    writer.append(
        PdfReader(io.BytesIO(render_back(dossier, audience, upto))),
        outline_item="Instruction, décision, paiements et piste d'audit",
    )
    writer.add_metadata({"/Title": f"Dossier complet {dossier.reference} — {audience.label}"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
