"""Stored files served by a page: never from a public URL, always with the headers that keep a
browser from sniffing the type or running what the file holds."""

from __future__ import annotations

from django.http import FileResponse, Http404

#: the types shown inline in an ``<object>`` of a page (anything else is downloaded elsewhere)
INLINE_TYPES = ("application/pdf", "image/jpeg", "image/png")
FRAMED_BY_THIS_SITE = "frame-ancestors 'self'; script-src 'none'; object-src 'self'"


def private_file(
    file,
    *,
    content_type: str,
    filename: str,
    as_attachment: bool,
    csp: str | None = "sandbox",
    no_store: bool = True,
) -> FileResponse:
    """``file`` (a stored ``FieldFile``) with ``nosniff``, the Content-Security-Policy ``csp`` (if
    any) and, with ``no_store``, ``Cache-Control: private, no-store``."""
    response = FileResponse(
        file.open("rb"), content_type=content_type, as_attachment=as_attachment, filename=filename
    )
    response["X-Content-Type-Options"] = "nosniff"
    if csp:
        response["Content-Security-Policy"] = csp
    if no_store:
        response["Cache-Control"] = "private, no-store"
    return response


def stored_name(file) -> str:
    """The name a stored file is served under: its own name, without the storage folders."""
    return file.name.rsplit("/", 1)[-1]


def uploaded_file(upload, *, missing: str) -> FileResponse:
    """An uploaded piece (``file`` and ``content_type``: a dossier's document, a message's
    attachment), sandboxed and never cached: a PDF opens in the browser, anything else is
    downloaded; a 404 saying ``missing`` when there is none."""
    if upload is None:
        raise Http404(missing)
    return private_file(
        upload.file,
        content_type=upload.content_type,
        filename=stored_name(upload.file),
        as_attachment=upload.content_type != "application/pdf",
    )


def inline_document(document, *, missing: str) -> FileResponse:
    """A stored document (PDF or image) inline, framable by this site only, never cached; a 404
    saying ``missing`` when there is none or its type is not shown inline."""
    if document is None or document.content_type not in INLINE_TYPES:
        raise Http404(missing)
    return private_file(
        document.file,
        content_type=document.content_type,
        filename=stored_name(document.file),
        as_attachment=False,
        csp=FRAMED_BY_THIS_SITE,
    )
