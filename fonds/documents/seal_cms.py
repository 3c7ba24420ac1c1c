"""The CMS container of the fund's seal, assembled from bytes prepared once per certificate.

pyHanko builds each signature's CMS with asn1crypto objects: about 10 ms of CPU per document,
a fifth of a receipt's rendering, for a structure that is the same every time but for the
document's digest and the signature. ``SealSigner`` (a pyHanko ``SimpleSigner``) prepares the
constant parts once — content-type and ESS signing-certificate-v2 attributes, signer identifier,
algorithms, certificates, all encoded by asn1crypto — and for each document only encodes the
message-digest attribute, signs the signed attributes (cryptography) and concatenates: the same
PAdES baseline B-B container (RFC 5652 SignedData, detached, no signing-time attribute), which
pyHanko's validator checks in the tests. Any other use (a dry run, a time-stamp, another digest)
goes to pyHanko's own code.
"""

from __future__ import annotations

from asn1crypto import algos, cms
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from pyhanko.sign.general import as_signing_certificate_v2
from pyhanko.sign.signers import SimpleSigner


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _tlv(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + _length(len(content)) + content


_SEQUENCE, _SET, _OCTETS, _CONTEXT_0 = 0x30, 0x31, 0x04, 0xA0
_VERSION_1 = b"\x02\x01\x01"
_OID_SIGNED_DATA = cms.ContentType("signed_data").dump()
_ENCAP_DATA = _tlv(_SEQUENCE, cms.ContentType("data").dump())  # detached: no content


class SealSigner(SimpleSigner):
    """pyHanko's signer with the per-document CMS work reduced to a digest and a signature."""

    def __init__(self, signing_cert, signing_key, cert_registry, private_key, chain):
        super().__init__(signing_cert=signing_cert, signing_key=signing_key, cert_registry=cert_registry)
        self._private_key = private_key
        if isinstance(private_key, ec.EllipticCurvePrivateKey):
            signature_algorithm = "sha256_ecdsa"
        elif isinstance(private_key, rsa.RSAPrivateKey):
            signature_algorithm = "sha256_rsa"
        else:
            raise TypeError("clé de sceau non prise en charge (ECDSA ou RSA attendue)")
        self._static_attributes = [
            cms.CMSAttribute({"type": "content_type", "values": ["data"]}).dump(),
            cms.CMSAttribute(
                {"type": "signing_certificate_v2", "values": [as_signing_certificate_v2(signing_cert)]}
            ).dump(),
        ]
        template = cms.CMSAttribute({"type": "message_digest", "values": [b"\0" * 32]}).dump()
        self._digest_prefix = template[:-32]
        self._sid = cms.IssuerAndSerialNumber(
            {"issuer": signing_cert.issuer, "serial_number": signing_cert.serial_number}
        ).dump()
        self._digest_algorithm = algos.DigestAlgorithm({"algorithm": "sha256"}).dump()
        self._signature_algorithm = algos.SignedDigestAlgorithm({"algorithm": signature_algorithm}).dump()
        self._certificates = _tlv(_CONTEXT_0, b"".join(c.dump() for c in [signing_cert, *chain]))
        #: room the PDF keeps for the container (given, so that pyHanko makes no dummy signature
        #: per document to measure it): its size, and a margin for a longer ECDSA signature, in hex
        self.reserved = 2 * (len(self.container(b"\0" * 32)) + 64)  # hexadecimal digits

    def _sign(self, data: bytes) -> bytes:
        if isinstance(self._private_key, ec.EllipticCurvePrivateKey):
            return self._private_key.sign(data, ec.ECDSA(hashes.SHA256()))
        return self._private_key.sign(data, padding.PKCS1v15(), hashes.SHA256())

    def container(self, data_digest: bytes) -> bytes:
        """The DER ContentInfo (SignedData) sealing a document whose SHA-256 is ``data_digest``."""
        attributes = sorted([*self._static_attributes, self._digest_prefix + data_digest])  # DER SET OF
        signed_attributes = b"".join(attributes)
        signature = self._sign(_tlv(_SET, signed_attributes))  # signed as a SET OF (RFC 5652 § 5.4)
        signer_info = _tlv(
            _SEQUENCE,
            _VERSION_1
            + self._sid
            + self._digest_algorithm
            + _tlv(_CONTEXT_0, signed_attributes)
            + self._signature_algorithm
            + _tlv(_OCTETS, signature),
        )
        signed_data = _tlv(
            _SEQUENCE,
            _VERSION_1
            + _tlv(_SET, self._digest_algorithm)
            + _ENCAP_DATA
            + self._certificates
            + _tlv(_SET, signer_info),
        )
        return _tlv(_SEQUENCE, _OID_SIGNED_DATA + _tlv(_CONTEXT_0, signed_data))

    async def async_sign(self, data_digest: bytes, digest_algorithm: str, dry_run=False, **kwargs):
        plain = not kwargs.get("timestamper") and kwargs.get("encap_content_info") is None
        if dry_run or digest_algorithm != "sha256" or not plain or len(data_digest) != 32:
            return await super().async_sign(data_digest, digest_algorithm, dry_run=dry_run, **kwargs)
        return cms.ContentInfo.load(self.container(data_digest))
