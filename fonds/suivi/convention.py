"""The grant agreement (convention attributive): a WeasyPrint PDF, generated once per amount.

``ensure_convention(dossier)`` is idempotent: the document is a ``GeneratedDocument`` unique on
``(kind="convention", key="convention-<pk>-<approved amount>")``; a second call (or a retried
Celery task, or two requests racing) returns the stored one. Its creation and SHA-256 go in the
audit trail ("convention_generated") in the same transaction. An amended amount gives a new key,
hence a new convention (and the mayor must accept that one: the acceptance checks its hash).
"""

from __future__ import annotations

import calendar
import datetime as dt

from django.template.loader import render_to_string
from django.utils import translation

from fonds import clock
from fonds.documents.models import GeneratedDocument
from fonds.documents.pdf import write_pdf
from fonds.documents.store import store_once
from fonds.documents.texts import letterhead
from fonds.formats import dec, euros, pct

from .balance import advance_amount

KIND = GeneratedDocument.Kind.CONVENTION
FUND_AUTHORITY = "Ministère de l'Europe et des Affaires étrangères (MEAE)"


def convention_key(dossier) -> str:
    return f"convention-{dossier.pk}-{dossier.approved_amount}"


def current_convention(dossier) -> GeneratedDocument | None:
    """The convention for the dossier's current approved amount, if it was generated."""
    if dossier.approved_amount is None:
        return None
    return GeneratedDocument.objects.filter(kind=KIND, key=convention_key(dossier)).first()


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` ``months`` later, on the month's last day when it is shorter (31 Jan + 1 → 28/29 Feb)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def convention_context(dossier, *, at=None) -> dict:
    rules = dossier.rules
    params = rules.params
    at = at or clock.now()
    approved = dec(dossier.approved_amount)
    advance_pct = dec(params["payment"]["advance_pct"])
    advance = advance_amount(approved, advance_pct)
    deadlines = params["deadlines"]
    report_months = int(deadlines["report_months_after_end"])
    partner = dossier.jumelage.partner if dossier.jumelage_id else None
    return {
        **letterhead(dossier, FUND_AUTHORITY),
        "partner": partner,
        "approved": euros(approved),
        "advance_pct": pct(advance_pct),
        "advance": euros(advance),
        "balance_max": euros(approved - advance),
        "agreement_days": int(deadlines["agreement_days"]),
        "agreement_due": dossier.agreement_due,
        "report_months": report_months,
        "report_due": add_months(dossier.end_date, report_months) if dossier.end_date else None,
        "recovery_answer_days": int(deadlines["recovery_answer_days"]),
        "eligible_pct": pct(dec(params["amount"]["max_pct_of_eligible"])),
        "rules_version": rules.version,
        "generated_at": at,
    }


def render_convention_pdf(dossier, *, at=None) -> bytes:
    with translation.override("fr"):
        html = render_to_string("pdf/convention.html", convention_context(dossier, at=at))
    return write_pdf(html)


def ensure_convention(dossier) -> GeneratedDocument:
    """The dossier's convention for its approved amount, generated and audited if missing."""
    if dossier.approved_amount is None:
        raise ValueError("Aucun montant accordé : pas de convention à établir.")
    document, _ = store_once(
        KIND,
        convention_key(dossier),
        lambda: render_convention_pdf(dossier),
        filename=f"convention-{dossier.reference}.pdf",
        dossier=dossier,
        audit="convention_generated",
        payload=lambda: {
            "reference": dossier.reference,
            "key": convention_key(dossier),
            "approved_amount": dec(dossier.approved_amount),
            "rules_version": dossier.rules.version,
        },
    )
    return document
