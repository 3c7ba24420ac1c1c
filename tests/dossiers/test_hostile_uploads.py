"""Hostile uploads (issue 8 corpus): active PDFs, polyglots, archives in disguise — refused in
French, nothing stored."""

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from fonds.dossiers.documents import add_document
from fonds.dossiers.models import Document
from tests.factories import PDF_BYTES, make_dossier

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32 + b"IEND\xaeB`\x82"


def _pdf_with_javascript() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    action = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert('x');")}
    )
    writer._root_object[NameObject("/OpenAction")] = action
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _pdf_with_open_action_launch() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    action = DictionaryObject(
        {NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("calc.exe")}
    )
    writer._root_object[NameObject("/OpenAction")] = action
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _zip(name="document.pdf", payload=b"hello") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(name, payload)
    return out.getvalue()


@pytest.fixture
def dossier():
    return make_dossier(complete=False)


def _refused(dossier, data, name="piece.pdf"):
    with pytest.raises(ValidationError) as refused:
        add_document(dossier, by=dossier.created_by, kind="deliberation", name=name, data=data)
    assert not Document.objects.filter(dossier=dossier).exists()
    return " ".join(refused.value.messages)


def test_pdf_with_javascript_refused(dossier):
    assert "contenu actif" in _refused(dossier, _pdf_with_javascript())


def test_pdf_with_launch_action_refused(dossier):
    assert "contenu actif" in _refused(dossier, _pdf_with_open_action_launch())


def test_pdf_zip_polyglot_refused(dossier):
    assert "autre format" in _refused(dossier, PDF_BYTES + _zip())


def test_zip_renamed_pdf_refused(dossier):
    assert "Seuls les fichiers PDF, JPEG et PNG" in _refused(dossier, _zip(), name="deliberation.pdf")


def test_png_with_html_appended_refused(dossier):
    assert "autre format" in _refused(
        dossier, PNG + b"<html><script>alert(1)</script></html>", name="photo.png"
    )


def test_jpeg_with_zip_appended_refused(dossier):
    jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 64 + b"\xff\xd9"
    assert "autre format" in _refused(dossier, jpeg + _zip(), name="photo.jpg")


def test_pdf_with_html_inside_refused(dossier):
    assert "autre format" in _refused(
        dossier, PDF_BYTES.replace(b"%%EOF", b"<script>alert(1)</script>\n%%EOF")
    )


def test_plain_pdf_and_png_still_accepted(dossier):
    add_document(dossier, by=dossier.created_by, kind="deliberation", name="d.pdf", data=PDF_BYTES)
    add_document(dossier, by=dossier.created_by, kind="rib", name="r.png", data=PNG)
    assert Document.objects.filter(dossier=dossier).count() == 2
