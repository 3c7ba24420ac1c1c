"""RFC 3161 tokens of the chain head: what is imprinted, how a token is obtained and checked.

The imprint is the SHA-256 of ``anchor_message(seq, hash)``, a canonical JSON text (the same rule
is printed in the anchors export and re-implemented by ``scripts/verify_audit_export.py``).
Requests go through pyHanko's time-stamp client; tokens are checked with pyHanko's validator:
CMS signature, signer certificate chaining to a trusted certificate with the time-stamping usage
(at the time of the token), message imprint. No Django models here.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from asn1crypto import cms, core, pem, tsp, x509
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
from pyhanko.sign.validation.status import TimestampSignatureStatus
from pyhanko_certvalidator import ValidationContext

MESSAGE_RULE = (
    'imprint = SHA-256 of the UTF-8 text {"format":"fjj-audit-anchor","hash":"<hash>","seq":<seq>} '
    "(the chain head: last sequence number and its hash)"
)


class AnchorError(RuntimeError):
    """The authority could not be reached or answered something unusable."""


def anchor_message(seq: int, digest: str) -> bytes:
    return f'{{"format":"fjj-audit-anchor","hash":"{digest}","seq":{int(seq)}}}'.encode()


def load_certificates(paths) -> list[x509.Certificate]:
    """The certificates of PEM (or DER) files; each file may hold several."""
    certs = []
    for path in paths:
        data = Path(path).read_bytes()
        if pem.detect(data):
            certs.extend(x509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True))
        else:
            certs.append(x509.Certificate.load(data))
    return certs


class _PolicyTimeStamper(RequestsHTTPTimeStamper):
    """pyHanko's HTTP client, asking for the fund's policy (``reqPolicy``) when one is set."""

    def __init__(self, url: str, policy: str, timeout: float):
        super().__init__(url, timeout=timeout)
        self.policy = policy

    def request_cms(self, message_digest, md_algorithm):
        nonce, req = super().request_cms(message_digest, md_algorithm)
        if self.policy:
            req["req_policy"] = self.policy
        return nonce, req


def request_token(url: str, message: bytes, *, policy: str = "", timeout: float = 10) -> bytes:
    """The DER token of ``message`` from the authority at ``url``; ``AnchorError`` otherwise."""
    stamper = _PolicyTimeStamper(url, policy, timeout)
    try:
        token = asyncio.run(stamper.async_timestamp(hashlib.sha256(message).digest(), "sha256"))
    except (TimestampRequestError, OSError, ValueError) as exc:
        raise AnchorError(f"{type(exc).__name__} : {exc}"[:280]) from exc
    return token.dump()


@dataclass
class TokenCheck:
    ok: bool
    gen_time: datetime | None = None
    policy: str = ""
    problem: str = ""


def _tst_info(token: cms.ContentInfo) -> tsp.TSTInfo:
    content = token["content"]["encap_content_info"]["content"]
    if not isinstance(content, core.ParsableOctetString) or not isinstance(content.parsed, tsp.TSTInfo):
        raise ValueError("le jeton ne contient pas d'informations d'horodatage (TSTInfo)")
    return content.parsed


def check_token(der: bytes, message: bytes, trusted: list[x509.Certificate], policy: str = "") -> TokenCheck:
    """Is ``der`` a token, signed by a trusted authority, over ``message``?"""
    try:
        token = cms.ContentInfo.load(bytes(der))
        if token["content_type"].native != "signed_data":
            return TokenCheck(False, problem="ce n'est pas un jeton signé (CMS SignedData)")
        info = _tst_info(token)
    except (ValueError, TypeError, KeyError) as exc:
        return TokenCheck(False, problem=f"jeton illisible ({exc})")
    gen_time, token_policy = info["gen_time"].native, info["policy"].dotted
    if not trusted:
        return TokenCheck(False, gen_time, token_policy, "aucun certificat d'autorité de confiance configuré")
    if policy and token_policy != policy:
        return TokenCheck(False, gen_time, token_policy, f"politique {token_policy} au lieu de {policy}")
    context = ValidationContext(trust_roots=trusted, moment=gen_time, allow_fetching=False)
    try:
        status = TimestampSignatureStatus(
            **asyncio.run(
                validate_tst_signed_data(
                    token["content"], context, lambda algo: hashlib.new(algo, message).digest()
                )
            )
        )
    except (SignatureValidationError, ValueError) as exc:
        return TokenCheck(False, gen_time, token_policy, f"signature refusée ({exc})")
    if not status.intact:
        return TokenCheck(
            False, gen_time, token_policy, "l'empreinte horodatée n'est pas celle de cette tête"
        )
    if not status.valid:
        return TokenCheck(False, gen_time, token_policy, "signature du jeton invalide")
    if not status.trusted:
        return TokenCheck(
            False,
            gen_time,
            token_policy,
            "signataire du jeton non reconnu (certificats d'autorité configurés)",
        )
    return TokenCheck(True, gen_time, token_policy)


def token_time(der: bytes) -> tuple[datetime, str]:
    """``(gen_time, policy)`` of a token, unchecked."""
    info = _tst_info(cms.ContentInfo.load(bytes(der)))
    return info["gen_time"].native, info["policy"].dotted
