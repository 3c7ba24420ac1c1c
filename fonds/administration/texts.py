"""The variable texts of a campaign's documents (receipt, decision letters, convention, minutes):
the managing authority, the fund's address, the signatory and the legal mentions. Read with
``texts_for`` (defaults when the campaign has none), previewed as a PDF (WeasyPrint, through
``fonds.documents.pdf``) before saving, saved with one audit event (before/after)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string

from fonds import clock
from fonds.documents.pdf import write_pdf

from .guards import audit_change, lock_campaign, require_admin, require_motivation
from .models import DocumentTexts

FIELDS = ("authority", "fund_address", "signatory_name", "signatory_title", "legal_mentions")

DEFAULTS = {
    "authority": "Ministère de l'Europe et des Affaires étrangères (MEAE)",
    "fund_address": "Délégation pour l'action extérieure des collectivités territoriales\n"
    "57, boulevard des Invalides\n75007 Paris",
    "signatory_name": "",
    "signatory_title": "Le délégué pour l'action extérieure des collectivités territoriales",
    "legal_mentions": "Décision susceptible de recours devant le tribunal administratif de Paris "
    "dans un délai "
    "de deux mois à compter de sa notification. Données personnelles traitées conformément au RGPD ; "
    "droits d'accès et de rectification auprès du fonds.",
}

#: the documents whose variable parts these texts fill
DOCUMENTS = ("Récépissé de dépôt", "Lettres de décision", "Convention attributive", "Procès-verbal du comité")


def texts_for(campaign) -> dict:
    """The campaign's texts, or the defaults."""
    row = DocumentTexts.objects.filter(campaign=campaign).first()
    return {name: getattr(row, name) for name in FIELDS} if row is not None else dict(DEFAULTS)


def preview_pdf(campaign, values: dict) -> bytes:
    """A one-page PDF showing ``values`` where the documents print them (nothing is saved)."""
    context = {
        "campaign": campaign,
        "texts": {name: values.get(name, "") for name in FIELDS},
        "fund_name": settings.FJJ_FUND_NAME,
        "documents": DOCUMENTS,
        "generated_at": clock.now(),
    }
    return write_pdf(render_to_string("administration/pdf/texts_preview.html", context))


def save_texts(campaign, values: dict, *, by, motivation: str) -> DocumentTexts:
    """Create or update the campaign's texts; one ``document_texts_changed`` event."""
    require_admin(by)
    motivation = require_motivation(motivation)
    with transaction.atomic():
        locked = lock_campaign(campaign)
        before = texts_for(locked)
        row, _ = DocumentTexts.objects.select_for_update().get_or_create(
            campaign=locked, defaults={name: values[name] for name in FIELDS}
        )
        for name in FIELDS:
            setattr(row, name, values[name])
        row.updated_at = clock.now()
        row.save()
        after = {name: values[name] for name in FIELDS}
        audit_change("document_texts_changed", locked, by, before=before, after=after, motivation=motivation)
    return row
