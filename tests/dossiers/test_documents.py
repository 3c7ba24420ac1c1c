"""Uploads: decided by content, hashed into the trail, never half-stored."""

import hashlib
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from pypdf import PdfWriter

from fonds.audit.models import AuditEvent
from fonds.dossiers.documents import add_document, safe_name
from fonds.dossiers.models import Document, Dossier
from fonds.dossiers.states import Status
from tests.factories import PDF_BYTES, make_dossier, make_user

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _pdf(pages=1, password=None) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if password:
        writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture
def dossier():
    return make_dossier(complete=False)


def test_upload_is_hashed_and_audited(dossier):
    data = _pdf()
    document = add_document(
        dossier, by=dossier.created_by, kind="deliberation", name="Délibération du 3 mars.pdf", data=data
    )
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    event = AuditEvent.objects.filter(action="document_uploaded").latest("seq")
    assert event.data["payload"]["sha256"] == document.sha256
    assert document.file.name.endswith("Deliberation-du-3-mars.pdf")


def test_replacing_keeps_the_old_version_in_the_trail(dossier):
    first = add_document(dossier, by=dossier.created_by, kind="rib", name="rib.png", data=PNG)
    second = add_document(dossier, by=dossier.created_by, kind="rib", name="rib.pdf", data=_pdf())
    first.refresh_from_db()
    assert first.replaced_by_id == second.pk
    event = AuditEvent.objects.filter(action="document_uploaded").latest("seq")
    assert event.data["payload"]["replaces"] == {"document": first.pk, "sha256": first.sha256}


@pytest.mark.parametrize(
    "label,data",
    [
        ("zip renamed pdf", b"PK\x03\x04" + b"\x00" * 40),
        ("html", b"<html><script>alert(1)</script></html>"),
        ("empty", b""),
        ("corrupt pdf", b"%PDF-1.7\n garbage without structure"),
        ("encrypted pdf", None),
        ("zero-page pdf", None),
    ],
)
def test_refused_uploads_store_nothing(dossier, label, data):
    if label == "encrypted pdf":
        data = _pdf(password="secret")
    if label == "zero-page pdf":
        data = _pdf(pages=0)
    before = (Document.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as refused:
        add_document(dossier, by=dossier.created_by, kind="deliberation", name="piece.pdf", data=data)
    assert refused.value.messages[0]
    assert (Document.objects.count(), AuditEvent.objects.count()) == before


def test_file_over_the_campaign_limit_is_refused(dossier):
    big = PDF_BYTES + b"0" * (10 * 1024 * 1024)
    with pytest.raises(ValidationError, match="10 Mo"):
        add_document(dossier, by=dossier.created_by, kind="deliberation", name="gros.pdf", data=big)


def test_upload_refused_after_submission(dossier):
    Dossier.objects.filter(pk=dossier.pk).update(status=Status.SUBMITTED)
    with pytest.raises(PermissionDenied):
        add_document(dossier, by=dossier.created_by, kind="rib", name="rib.png", data=PNG)


def test_other_commune_porteur_cannot_upload(dossier):
    intruder = make_user("porteur", commune=make_dossier(complete=False).commune)
    with pytest.raises(PermissionDenied):
        add_document(dossier, by=intruder, kind="rib", name="rib.png", data=PNG)


def test_safe_name_strips_paths_and_unicode():
    assert safe_name("../../etc/passwd", "pdf") == "etc-passwd.pdf"
    assert safe_name("Convention été 2027 (signée).PDF", "pdf") == "Convention-ete-2027-signee.pdf"
    assert safe_name("", "png") == "document.png"
