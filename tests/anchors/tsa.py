"""A real RFC 3161 time-stamping authority on 127.0.0.1, for the tests.

HTTP POST of a DER ``TimeStampReq`` (``application/timestamp-query``) answered with a DER
``TimeStampResp`` (``application/timestamp-reply``), signed by pyHanko's ``DummyTimeStamper``
with a TSA certificate (extended key usage time-stamping, critical) issued by a test root. The
requested policy (``reqPolicy``) is honoured. ``stop()`` makes it unreachable, ``start()`` again.
"""

from __future__ import annotations

import datetime as dt
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from asn1crypto import keys, tsp
from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

DEFAULT_POLICY = "1.3.6.1.4.1.99999.21.1"


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, cn), x509.NameAttribute(NameOID.COUNTRY_NAME, "FR")]
    )


def make_authority(cn: str = "Autorité d'horodatage de test"):
    """(root certificate, TSA certificate, TSA key) as cryptography objects."""
    now = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{cn} — racine"))
        .issuer_name(_name(f"{cn} — racine"))
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    tsa = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(root.subject)
        .public_key(tsa_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=3000))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False
        )
        .sign(root_key, hashes.SHA256())
    )
    return root, tsa, tsa_key


def _asn1(cert: x509.Certificate) -> ax509.Certificate:
    return ax509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


class _Stamper(DummyTimeStamper):
    def _build_tst_info(self, message_imprint, dt_, req):
        info = super()._build_tst_info(message_imprint, dt_, req)
        policy = req["req_policy"].dotted if req["req_policy"].native is not None else DEFAULT_POLICY
        info["policy"] = policy
        return info


class TestAuthority:
    """``url``, ``root_pem`` (bytes), ``requests`` (count); ``start()`` / ``stop()``."""

    __test__ = False

    def __init__(self):
        self.root, self.tsa, tsa_key = make_authority()
        self.root_pem = self.root.public_bytes(serialization.Encoding.PEM)
        self.stamper = _Stamper(
            tsa_cert=_asn1(self.tsa),
            tsa_key=keys.PrivateKeyInfo.load(
                tsa_key.private_bytes(
                    serialization.Encoding.DER,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            ),
            certs_to_embed=[_asn1(self.root)],
        )
        self.requests = 0
        self.port = None
        self._server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/tsa"

    def start(self) -> TestAuthority:
        authority = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 — http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.headers.get("Content-Type") != "application/timestamp-query":
                    self.send_error(415)
                    return
                authority.requests += 1
                answer = authority.stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port or 0), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
