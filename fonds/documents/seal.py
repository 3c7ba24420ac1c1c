"""The fund's electronic seal (PAdES) on every PDF it issues, with a visible mention.

``seal_pdf(data)`` adds a PAdES signature (pyHanko, SHA-256, ``ETSI.CAdES.detached``) made with
the fund's seal certificate and key (``FJJ_SEAL_PEM``: key, certificate, then its chain), in a
visible field at the foot of the last page: « Document scellé électroniquement par le Fonds
Jumelages Jeunesse le … ». The seal covers the whole file: any later change shows in a PDF reader.
Embedded profile: a self-signed demonstration certificate is made on first use
(``make_demo_seal``, also ``manage.py make_seal_certificate``); in production the file must exist.
pyHanko is imported on the first seal, not at start-up (as WeasyPrint, see ``pdf.py``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import os
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings

from fonds import clock

MENTION = "Document scellé électroniquement par le Fonds Jumelages Jeunesse"
FIELD = "SceauFJJ"
#: the stamp's box on the last page, in points from its lower-left corner: the bottom strip of an
#: A4 page, under the footers every template prints in its bottom margin (20 mm or more)
BOX = (40, 4, 555, 17)

_lock = threading.Lock()
_cached: dict = {}


class SealUnavailable(RuntimeError):
    """No seal certificate where the settings say, and none may be made (production profile)."""


def make_demo_seal(path: Path, *, passphrase: str = "", years: int = 3, replace: bool = False) -> Path:
    """Write a self-signed demonstration seal (ECDSA P-256 key and certificate) to ``path``.

    Atomically: of two processes sealing their first document at once, the first one's file is
    kept and the other one's dropped (never replaced under a process that already sealed with it).
    """
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Fonds Jumelages Jeunesse"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Sceau du Fonds Jumelages Jeunesse (démonstration)"),
        ]
    )
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    encryption = (
        serialization.BestAvailableEncryption(passphrase.encode())
        if passphrase
        else serialization.NoEncryption()
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    ) + cert.public_bytes(serialization.Encoding.PEM)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".sceau-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    os.chmod(tmp, 0o600)
    if replace:
        os.replace(tmp, path)
        return path
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)
    return path


def seal_certificates(path: Path) -> list[x509.Certificate]:
    """The certificates of the seal file: the seal's own first, then its chain."""
    return x509.load_pem_x509_certificates(path.read_bytes())


def _signer():
    """pyHanko's signer for the configured seal, loaded once per process (and per file change)."""
    from asn1crypto import keys as asn1_keys  # noqa: PLC0415 — with pyHanko, on the first seal
    from asn1crypto import x509 as asn1_x509  # noqa: PLC0415
    from pyhanko_certvalidator.registry import SimpleCertificateStore  # noqa: PLC0415

    from .seal_cms import SealSigner  # noqa: PLC0415 — imports pyHanko

    path = Path(settings.FJJ_SEAL_PEM)
    passphrase = settings.FJJ_SEAL_PASSPHRASE
    with _lock:
        if not path.exists():
            if not settings.FJJ_SEAL_DEMO_CERTIFICATE:
                raise SealUnavailable(
                    f"certificat de sceau introuvable : {path} (FJJ_SEAL_PEM ; voir docs/proof.md)"
                )
            make_demo_seal(path, passphrase=passphrase)
        stamp = (str(path), path.stat().st_mtime_ns)
        if _cached.get("stamp") != stamp:
            data = path.read_bytes()
            key = serialization.load_pem_private_key(data, passphrase.encode() or None)
            certs = [
                asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
                for c in x509.load_pem_x509_certificates(data)
            ]
            der = key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            key_info = asn1_keys.PrivateKeyInfo.load(der)
            _cached["signer"] = SealSigner(
                certs[0], key_info, SimpleCertificateStore.from_certs(certs[1:]), key, certs[1:]
            )
            _cached["stamp"] = stamp
        return _cached["signer"]


def seal_pdf(data: bytes) -> bytes:
    """``data`` sealed by the fund (a new revision of the PDF carrying the seal)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # noqa: PLC0415
    from pyhanko.sign import fields, signers  # noqa: PLC0415
    from pyhanko.stamp import TextStampStyle  # noqa: PLC0415

    signer = _signer()
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    last_page = int(writer.root["/Pages"]["/Count"]) - 1
    metadata = signers.PdfSignatureMetadata(
        field_name=FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason="Sceau électronique du Fonds Jumelages Jeunesse",
        name="Fonds Jumelages Jeunesse",
    )
    pdf_signer = signers.PdfSigner(
        metadata,
        signer=signer,
        stamp_style=TextStampStyle(stamp_text=f"{MENTION} le %(date)s", border_width=0),
        new_field_spec=fields.SigFieldSpec(FIELD, on_page=last_page, box=BOX),
    )
    out = io.BytesIO()
    date = clock.localnow().strftime("%d/%m/%Y à %H:%M")
    _outside_any_event_loop(
        lambda: pdf_signer.sign_pdf(
            writer, output=out, appearance_text_params={"date": date}, bytes_reserved=signer.reserved
        )
    )
    return out.getvalue()


def _outside_any_event_loop(work):
    """pyHanko signs through ``asyncio.run()``, which refuses to start inside a running event loop
    (an async caller; Playwright's loop in the browser tests): there, sign in a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return work()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


def sealing() -> bool:
    return bool(settings.FJJ_SEAL_DOCUMENTS)
