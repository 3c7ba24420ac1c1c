"""One French sentence per audit event (issue 18): what the dossier's history PDF and timeline print
instead of the event's raw payload — « Statut : Instruit → En comité. Montant proposé : 5 500 €
(motivation : …) ». Known keys are told with their French label, amounts and dates through
``fonds.formats``; technical keys (fingerprints, ids, idempotency keys, computation breakdowns)
are not told: they stay in the audit export, which the history's final fingerprint anchors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from fonds import formats
from fonds.dossiers.models import Document
from fonds.dossiers.states import Status

AMOUNTS = {
    "amount": "Montant",
    "proposed_amount": "Montant proposé",
    "approved_amount": "Montant accordé",
    "final_grant": "Subvention définitive",
    "balance": "Solde",
    "advance": "Avance",
    "envelope": "Enveloppe",
    "envelope_left_before": "Enveloppe disponible avant la décision",
    "envelope_left": "Enveloppe restante",
    "approved_total": "Total accordé",
    "total": "Total",
    "total_paid": "Total payé",
}
DATES = {
    "starts_at": "Date de la séance",
    "opened_at": "Ouverture",
    "deadline": "Échéance",
    "agreement_due": "Date limite d'acceptation de la convention",
    "report_due": "Date limite du rapport final",
    "accepted_at": "Date d'acceptation",
    "execution_date": "Date d'exécution demandée",
    "executed_at": "Date d'exécution",
    "expires_at": "Date d'expiration",
}
COUNTS = {
    "rank": "Rang à l'ordre du jour",
    "items": "Dossiers à l'ordre du jour",
    "recipients": "Destinataires",
    "count": "Nombre",
    "rows": "Lignes",
    "days_before": "Jours avant l'échéance",
    "rules_version": "Version du règlement",
}
TEXTS = {
    "signatory_name": "Signataire",
    "holder": "Titulaire du compte",
    "iban_masked": "IBAN",
    "place": "Lieu",
    "choice": "Vote",
    "subject": "Objet",
    "opinion": "Avis",
    "name": "Fichier",
}
#: told in parentheses after the rest, as a person explains a decision
EXPLANATIONS = {"motivation": "motivation", "reason": "motif"}
OUTCOMES = {
    "approved": "accordé",
    "waitlisted": "liste complémentaire",
    "rejected": "refusé",
    "deferred": "ajourné",
}
KINDS = {
    **dict(Document.Kind.choices),
    "advance": "Avance",
    "balance": "Solde",
    "recovery": "Reversement",
    "message": "Message",
}
STATUSES = dict(Status.choices)


def _amount(value) -> str | None:
    try:
        return formats.euros(Decimal(str(value)))
    except (InvalidOperation, ValueError, TypeError):
        return None


def _date(value) -> str | None:
    if isinstance(value, (dt.date, dt.datetime)):
        return formats.long_date(value)
    try:
        text = str(value)
        moment = dt.datetime.fromisoformat(text) if "T" in text else dt.date.fromisoformat(text)
    except ValueError:
        return None
    return formats.long_date(moment)


def _told(key: str, value) -> str | None:
    """``key``'s part of the sentence, or None when the key is not one a person reads."""
    if value in (None, "", [], {}):
        return None
    if isinstance(value, bool):
        return None
    if key in AMOUNTS:
        shown = _amount(value)
        return f"{AMOUNTS[key]} : {shown}" if shown else None
    if key in DATES:
        shown = _date(value)
        return f"{DATES[key]} : {shown}" if shown else None
    if key in COUNTS and isinstance(value, (int, str)) and str(value).isdigit():
        return f"{COUNTS[key]} : {value}"
    if key in COUNTS and isinstance(value, list):
        return f"{COUNTS[key]} : {formats.number(len(value))}"
    if key in TEXTS and isinstance(value, str):
        return f"{TEXTS[key]} : {value}"
    if key == "session" and str(value).isdigit():
        return f"Séance n° {value}"
    if key == "outcome" and value in OUTCOMES:
        return f"Décision : {OUTCOMES[value]}"
    if key == "kind" and value in KINDS:
        return f"Nature : {KINDS[value].lower()}"
    if key == "to" and isinstance(value, str) and "@" in value:
        return f"Destinataire : {value}"
    return None


def describe(action: str, payload: dict) -> str:
    """The event's payload told in French; ``""`` when nothing in it is for a person to read."""
    payload = payload or {}
    fields = {**payload, **(payload.get("data") or {})} if isinstance(payload.get("data"), dict) else payload
    parts = []
    if fields.get("from") in STATUSES and fields.get("to") in STATUSES:
        parts.append(f"Statut : {STATUSES[fields['from']]} → {STATUSES[fields['to']]}")
    for key, value in fields.items():
        if key in ("data", "from") or key in EXPLANATIONS or (key == "to" and value in STATUSES):
            continue
        part = _told(key, value)
        if part:
            parts.append(part)
    sentence = ". ".join(parts)
    explanations = [
        f"{label} : {str(fields[key]).strip().rstrip('.')}"
        for key, label in EXPLANATIONS.items()
        if isinstance(fields.get(key), str) and fields[key].strip()
    ]
    if explanations and sentence:
        sentence = f"{sentence} ({' ; '.join(explanations)})"
    elif explanations:
        told = " ; ".join(explanations)
        sentence = told[0].upper() + told[1:]
    return f"{sentence}." if sentence and not sentence.endswith((".", "!", "?")) else sentence
