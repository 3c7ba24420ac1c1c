"""Sealed documents (issue 21): every PDF the fund issues — receipt, decision letter, minutes,
convention — carries the fund's PAdES seal with its visible mention; pyHanko's validator accepts
it against the seal certificate; the SHA-256 in the audit trail is that of the sealed file."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.core.management import call_command
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader

from fonds.audit.models import AuditEvent
from fonds.comite import decisions, votes
from fonds.documents import seal
from fonds.documents.models import GeneratedDocument
from fonds.documents.pdf import write_pdf
from fonds.documents.store import store_once
from fonds.dossiers.services import perform
from fonds.suivi.convention import ensure_convention
from tests.comite.conftest import sitting, vote_all
from tests.factories import make_campaign, make_commune, make_dossier, make_user

pytestmark = pytest.mark.django_db


def seal_root(settings) -> asn1_x509.Certificate:
    cert = seal.seal_certificates(Path(settings.FJJ_SEAL_PEM))[0]
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def seal_status(data: bytes, settings):
    signatures = PdfFileReader(io.BytesIO(data)).embedded_signatures
    assert len(signatures) == 1 and signatures[0].field_name == seal.FIELD
    return validate_pdf_signature(signatures[0], ValidationContext(trust_roots=[seal_root(settings)]))


def visible_mention(data: bytes) -> bytes:
    """The appearance stream of the seal's field on the last page (what a reader displays)."""
    page = PdfReader(io.BytesIO(data)).pages[-1]
    widget = next(a.get_object() for a in page["/Annots"] if a.get_object().get("/T") == seal.FIELD)
    return widget["/AP"]["/N"].get_object().get_data()


@pytest.fixture
def issued(committee, django_capture_on_commit_callbacks) -> dict[str, GeneratedDocument]:
    """One document of each kind, made by the fund's own paths: a mayor's submission (receipt), a
    committee session approving a dossier and closed (minutes, decision letter), its convention."""
    commune = make_commune(population=900)
    porteur = make_user("porteur", commune=commune)
    draft = make_dossier(campaign=make_campaign(), commune=commune, porteur=porteur)
    c = committee
    with django_capture_on_commit_callbacks(execute=True):
        perform(draft, "submit", by=porteur)
        session = sitting(c, 1)
        item = session.items.get()
        votes.open_vote(item, by=c.chair)
        vote_all(item, c, {m: "pour" for m in c.members})
        votes.close_vote(item, by=c.chair)
        decisions.decide(item, by=c.chair, outcome="approve")
        decisions.close_session(session, by=c.chair)
    item.dossier.refresh_from_db()
    ensure_convention(item.dossier)
    return {kind: GeneratedDocument.objects.filter(kind=kind).latest("created_at") for kind in KINDS}


KINDS = ["receipt", "decision_letter", "minutes", "convention"]


def test_every_issued_document_carries_a_seal_that_validates(issued, settings):
    for kind, document in issued.items():
        data = document.file.open("rb").read()
        status = seal_status(data, settings)
        assert status.bottom_line, (kind, status.pretty_print_details())
        assert status.intact and status.valid and status.trusted, kind
        assert status.coverage.name == "ENTIRE_FILE", kind  # nothing after the seal
        assert status.signing_cert.subject.native["organization_name"] == "Fonds Jumelages Jeunesse", kind


def test_the_seal_shows_its_mention_on_the_last_page(issued):
    mention = "Document scellé électroniquement par le Fonds Jumelages Jeunesse le ".encode("cp1252")
    escaped = mention.replace(b"\xe9", b"\\351")  # PDF string escapes of « é »
    for kind, document in issued.items():
        stream = visible_mention(document.file.open("rb").read())
        assert escaped in stream, (kind, stream[:300])


def test_the_hash_in_the_audit_trail_is_that_of_the_sealed_file(issued):
    for kind, document in issued.items():
        data = document.file.open("rb").read()
        assert hashlib.sha256(data).hexdigest() == document.sha256, kind
        assert AuditEvent.objects.filter(canonical__contains=f'"sha256":"{document.sha256}"').exists(), kind


def test_a_sealed_document_changed_afterwards_no_longer_validates(settings):
    document, _ = store_once("other", "essai", seal_sample_pdf, filename="essai.pdf")
    data = bytearray(document.file.open("rb").read())
    at = data.index(b"WeasyPrint")  # the producer, in the part of the file the seal covers
    data[at : at + 10] = b"Contrefait"
    status = seal_status(bytes(data), settings)
    assert not status.intact and not status.bottom_line


def test_in_production_a_missing_seal_certificate_stops_the_document(settings, tmp_path):
    settings.FJJ_SEAL_PEM = str(tmp_path / "absent.pem")
    settings.FJJ_SEAL_DEMO_CERTIFICATE = False
    with pytest.raises(seal.SealUnavailable):
        store_once("other", "sans-sceau", seal_sample_pdf, filename="essai.pdf")
    assert not GeneratedDocument.objects.filter(key="sans-sceau").exists()


def test_make_seal_certificate_writes_a_demo_seal_and_refuses_to_overwrite(settings, tmp_path):
    settings.FJJ_SEAL_PEM = str(tmp_path / "sceau.pem")
    out = io.StringIO()
    call_command("make_seal_certificate", stdout=out)
    assert "Sceau de démonstration écrit" in out.getvalue()
    first = Path(settings.FJJ_SEAL_PEM).read_bytes()
    with pytest.raises(Exception, match="existe déjà"):
        call_command("make_seal_certificate", stdout=io.StringIO())
    call_command("make_seal_certificate", "--replace", stdout=io.StringIO())
    assert Path(settings.FJJ_SEAL_PEM).read_bytes() != first
    assert seal_status(seal.seal_pdf(seal_sample_pdf()), settings).bottom_line  # the new key seals


def seal_sample_pdf() -> bytes:
    return write_pdf("<html><body><p>Essai de sceau</p></body></html>")


def test_a_seal_certificate_issued_by_an_authority_with_its_chain_validates_against_that_authority(
    settings, tmp_path
):
    """Production: an RSA seal certificate issued by a certification authority, its chain in the file."""

    def name(cn):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("AC de test"))
        .issuer_name(name("AC de test"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name("Sceau du Fonds Jumelages Jeunesse"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=20))
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True
        )
        .sign(ca_key, hashes.SHA256())
    )
    path = tmp_path / "sceau-qualifie.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        + cert.public_bytes(serialization.Encoding.PEM)
        + ca.public_bytes(serialization.Encoding.PEM)
    )
    settings.FJJ_SEAL_PEM = str(path)
    settings.FJJ_SEAL_DEMO_CERTIFICATE = False
    sealed = seal.seal_pdf(seal_sample_pdf())
    signature = PdfFileReader(io.BytesIO(sealed)).embedded_signatures[0]
    root = asn1_x509.Certificate.load(ca.public_bytes(serialization.Encoding.DER))
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=[root]))
    assert status.bottom_line, status.pretty_print_details()
    assert status.signing_cert.subject.native["common_name"] == "Sceau du Fonds Jumelages Jeunesse"


def test_sealing_works_inside_a_running_event_loop(settings):
    """An async caller (or Playwright's loop in the browser tests) must not stop a document."""

    async def called_from_a_coroutine() -> bytes:
        return seal.seal_pdf(write_pdf("<p>Récépissé</p>"))

    sealed = asyncio.run(called_from_a_coroutine())
    assert seal_status(sealed, settings).intact
