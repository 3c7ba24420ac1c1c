"""The SEPA credit-transfer file of a batch (ISO 20022 pain.001.001.03), written with sepaxml.

Deterministic: ids and creation time come from the batch, so a batch always gives the same bytes.
Validated with lxml against the official XSD shipped with sepaxml (its SHA-256 is checked below;
the parsed schema is cached per process); the tests also validate with xmlschema.
"""

from __future__ import annotations

import hashlib
import os
from decimal import Decimal

import sepaxml
from django.utils import timezone
from lxml import etree
from sepaxml import SepaTransfer

from .common import PaymentRefused

SCHEMA = "pain.001.001.03"
XSD_PATH = os.path.join(os.path.dirname(sepaxml.__file__), "schemas", f"{SCHEMA}.xsd")
XSD_SHA256 = "ed4be42522e3e35b108b3ad2ebbcc65da987cddbf6cfdc20828cd4fd0d69c51a"

_schema = None


def schema():
    """The parsed official XSD (lxml / libxml2; cached per process)."""
    global _schema
    if _schema is None:
        with open(XSD_PATH, "rb") as fh:
            raw = fh.read()
        digest = hashlib.sha256(raw).hexdigest()
        if digest != XSD_SHA256:
            raise RuntimeError(
                f"{XSD_PATH}: unexpected SHA-256 {digest} (not the official pain.001.001.03 XSD)"
            )
        _schema = etree.XMLSchema(etree.fromstring(raw))
    return _schema


def validate(data: bytes) -> None:
    """Raise ``PaymentRefused`` (French) if ``data`` is not a valid pain.001.001.03 document."""
    checker = schema()
    try:
        document = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise PaymentRefused(
            "condition", f"Le fichier SEPA n'est pas un XML bien formé : {exc}", rules=["sepa_xsd"]
        ) from exc
    try:
        valid = checker.validate(document)
    except etree.XMLSchemaValidateError as exc:  # e.g. an entity left unresolved (never expanded: XXE)
        raise PaymentRefused(
            "condition", f"Le fichier SEPA n'est pas conforme au schéma {SCHEMA} : {exc}", rules=["sepa_xsd"]
        ) from exc
    if not valid:
        error = checker.error_log.last_error
        raise PaymentRefused(
            "condition",
            f"Le fichier SEPA n'est pas conforme au schéma {SCHEMA} : {error.message} (ligne {error.line})",
            rules=["sepa_xsd"],
        )


class _FixedTransfer(SepaTransfer):
    """sepaxml's transfer with the batch's fixed message id, creation time and PmtInfId."""

    def __init__(self, config, *, msg_id: str, created: str):
        self._fixed_created = created
        super().__init__(config, schema=SCHEMA, clean=True)
        self.msg_id = msg_id
        self._xml.find("CstmrCdtTrfInitn").find("GrpHdr").find("MsgId").text = msg_id

    def _create_header(self):
        super()._create_header()
        self._xml.find("CstmrCdtTrfInitn").find("GrpHdr").find("CreDtTm").text = self._fixed_created

    def _finalize_batch(self):
        super()._finalize_batch()
        for n, node in enumerate(self._xml.iter("PmtInfId"), start=1):
            node.text = f"{self.msg_id}-{n}"


def _cents(amount) -> int:
    value = Decimal(amount).quantize(Decimal("0.01"))
    return int(value * 100)


def batch_xml(batch, items) -> bytes:
    """The validated file of ``batch`` with its ``items`` (``BatchItem`` rows, by position)."""
    config = {
        "name": batch.debtor_name,
        "IBAN": batch.debtor_iban,
        "BIC": batch.debtor_bic,
        "batch": True,
        "currency": "EUR",
    }
    created = timezone.localtime(batch.created_at).replace(tzinfo=None, microsecond=0).isoformat()
    transfer = _FixedTransfer(config, msg_id=batch.message_id, created=created)
    for item in sorted(items, key=lambda i: i.position):
        transfer.add_payment(
            {
                "name": item.creditor_name,
                "IBAN": item.creditor_iban,
                "BIC": item.creditor_bic,
                "amount": _cents(item.amount),
                "execution_date": batch.execution_date,
                "description": item.remittance,
                "endtoend_id": item.end_to_end_id,
            }
        )
    data = transfer.export(validate=False)
    validate(data)
    return data
