"""The *submitted content* of a dossier and its SHA-256 (scheme ``fjj-contenu-depose/1``).

The hash of the canonical JSON of the dossier's fields, jumelage, budget lines and documents (by
their own SHA-256), computed in the ``submit`` transaction, stored in its audit event and printed
on the receipt; ``submitted_content_sha256`` recomputes it as the dossier is now. The exact object
hashed: ``docs/submitted-content.md``.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

from fonds.audit.canonical import canonical
from fonds.dossiers.editing import EDITABLE_FIELDS

SCHEME = "fjj-contenu-depose/1"
CENT = Decimal("0.01")
MICRO_DEGREE = Decimal("0.000001")


def _money(value):
    return None if value is None else format(Decimal(value).quantize(CENT), "f")


def _coordinate(value):
    return None if value is None else format(Decimal(value).quantize(MICRO_DEGREE), "f")


def _field(dossier, name):
    value = getattr(dossier, name)
    if name == "requested_amount":
        return _money(value)
    if value == "":
        return None
    return value


def submitted_content(dossier) -> dict:
    """The object whose canonical JSON is hashed (see the module docstring)."""
    jumelage = dossier.jumelage if dossier.jumelage_id else None
    lines = [
        {
            "kind": line.kind,
            "category": line.category,
            "label": line.label,
            "amount": _money(line.amount),
            "eligible": bool(line.eligible),
        }
        for line in dossier.budget_lines.all()
    ]
    lines.sort(key=lambda line: (line["kind"], line["category"], line["label"], Decimal(line["amount"])))
    documents = [
        {"kind": d.kind, "sha256": d.sha256, "size": d.size}
        for d in dossier.documents.all()
        if d.replaced_by_id is None
    ]
    documents.sort(key=lambda d: (d["kind"], d["sha256"]))
    return {
        "scheme": SCHEME,
        "reference": dossier.reference,
        "campaign": dossier.campaign_id,
        "commune": dossier.commune_id,
        "fields": {name: _field(dossier, name) for name in EDITABLE_FIELDS if name != "jumelage"},
        "jumelage": None
        if jumelage is None
        else {
            "kind": jumelage.kind,
            "partner": jumelage.partner.name,
            "country": jumelage.partner.country,
            "latitude": _coordinate(jumelage.partner.latitude),
            "longitude": _coordinate(jumelage.partner.longitude),
            "agreement_date": jumelage.agreement_date,
            "letter_of_intent": bool(jumelage.letter_of_intent),
        },
        "budget_lines": lines,
        "documents": documents,
    }


def canonical_content(dossier) -> str:
    return canonical(submitted_content(dossier))


def submitted_content_sha256(dossier) -> str:
    return hashlib.sha256(canonical_content(dossier).encode("utf-8")).hexdigest()
