"""Decision letters: one WeasyPrint PDF per decided agenda item, emailed once to each mayor.

``ensure_decision_letter(item)`` stores it once (``GeneratedDocument`` unique on kind and key:
a retried task finds it), audited; ``send_decision_letter(item, document)`` emails each mayor
once through ``fonds.depot.notices.send_once``. The letter is dated the day the committee sat
(``sitting_date``); an approval's letter announces the convention to accept online.
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from fonds.accounts.models import User
from fonds.accounts.roles import Role
from fonds.documents.models import GeneratedDocument
from fonds.documents.pdf import write_pdf
from fonds.documents.store import store_once
from fonds.documents.texts import letterhead
from fonds.formats import euros
from fonds.notifications.emails import send_each
from fonds.ui.progress import NONE, READY, DocumentProgress, document_progress

from .models import AgendaItem

KIND = GeneratedDocument.Kind.DECISION_LETTER
FUND_AUTHORITY = "Ministère de l'Europe et des Affaires étrangères (MEAE)"


def letter_key(item) -> str:
    return f"decision-letter-{item.pk}"


def letters_in_progress(dossier) -> list[DocumentProgress]:
    """The decision letters of the dossier's decided agenda items that are not stored yet: in
    preparation, late or failed (their task queued at the decision), for the dossier's pages."""
    out = []
    for item in AgendaItem.objects.filter(dossier=dossier).exclude(outcome="").only("pk"):
        progress = document_progress(
            KIND, letter_key(item), task="fonds.comite.tasks.generate_decision_letter", args=[item.pk]
        )
        if progress.state not in (READY, NONE):
            out.append(progress)
    return out


def mayors(dossier) -> list:
    return list(
        User.objects.filter(commune_id=dossier.commune_id, is_active=True, groups__name=Role.PORTEUR)
        .distinct()
        .order_by("email")
    )


def sitting_date(item):
    """The day the committee sat and decided the item: the session's ``opened_at`` (Paris time);
    for a session without that record, the day the decision was recorded."""
    if item.session.sitting_date is not None:
        return item.session.sitting_date
    return timezone.localdate(item.decided_at) if item.decided_at is not None else None


def letter_context(item) -> dict:
    dossier = item.dossier
    session = item.session
    params = dossier.rules.params
    outcome = item.outcome
    return {
        **letterhead(dossier, FUND_AUTHORITY),
        "item": item,
        "session": session,
        "outcome": outcome,
        "outcome_label": item.get_outcome_display(),
        "approved": outcome == AgendaItem.Outcome.APPROVED,
        "waitlisted": outcome == AgendaItem.Outcome.WAITLISTED,
        "rejected": outcome == AgendaItem.Outcome.REJECTED,
        "deferred": outcome == AgendaItem.Outcome.DEFERRED,
        "amount": euros(item.decided_amount) if item.decided_amount is not None else "",
        "proposed": euros(item.proposed_amount) if item.proposed_amount is not None else "",
        "amended": item.decided_amount is not None
        and item.proposed_amount is not None
        and item.decided_amount != item.proposed_amount,
        "motivation": item.motivation or item.amendment_motivation,
        "agreement_days": int(params["deadlines"]["agreement_days"]),
        "agreement_due": dossier.agreement_due,
        "advance_pct": params["payment"]["advance_pct"],
        "site_url": settings.FJJ_SITE_URL,
        "rules_version": dossier.rules.version,
        # the letter is dated the day of the sitting, and says the committee met that day
        "sitting_date": sitting_date(item),
    }


def render_letter_pdf(item) -> bytes:
    with translation.override("fr"):
        html = render_to_string("pdf/decision_letter.html", letter_context(item))
    return write_pdf(html)  # fonds/documents/render.py: closed URL fetcher, shared fonts


def _items():
    """Agenda items with what their letter shows (session, campaign, dossier, commune)."""
    return AgendaItem.objects.select_related("session__campaign", "dossier__commune", "dossier__campaign")


def decided_item(pk: int) -> AgendaItem | None:
    """The item if decided (else None: no letter), loaded for ``ensure``/``send_decision_letter``."""
    return _items().filter(pk=pk).exclude(outcome="").first()


def _load(item_or_pk) -> AgendaItem:
    """A pk is loaded; an item from ``decided_item`` is used as is (the task loads it once for
    the letter and its email: four queries less per letter)."""
    if isinstance(item_or_pk, AgendaItem) and "session" in item_or_pk._state.fields_cache:
        return item_or_pk
    return _items().get(pk=item_or_pk if isinstance(item_or_pk, int) else item_or_pk.pk)


def ensure_decision_letter(item_or_pk) -> GeneratedDocument:
    """The item's decision letter, generated and audited if missing (idempotent)."""
    item = _load(item_or_pk)
    if not item.outcome:
        raise ValueError("Aucune décision enregistrée : pas de lettre de décision.")
    document, _ = store_once(
        KIND,
        letter_key(item),
        lambda: render_letter_pdf(item),
        filename=f"decision-{item.dossier.reference}-{item.session_id}.pdf",
        dossier=item.dossier,
        audit="decision_letter_generated",
        payload=lambda: {
            "reference": item.dossier.reference,
            "session": item.session_id,
            "item": item.pk,
            "outcome": item.outcome,
            "amount": item.decided_amount,
            "key": letter_key(item),
        },
    )
    return document


def send_decision_letter(item_or_pk, document: GeneratedDocument) -> int:
    """Email the letter to each mayor of the commune, once per (item, recipient); returns how
    many were sent now."""

    item = _load(item_or_pk)
    dossier = item.dossier
    context = {**letter_context(item), "document": document}
    subject = f"Décision du comité — dossier {dossier.reference} : {item.get_outcome_display().lower()}"
    with translation.override("fr"):
        body = render_to_string("comite/emails/decision_letter.txt", context)
    return send_each(
        mayors(dossier),
        lambda mayor: f"decision-letter-{item.pk}-{mayor.pk}",
        subject=subject,
        body=body,
        dossier=dossier,
        audit_action="decision_letter_sent",
        audit_payload={
            "reference": dossier.reference,
            "item": item.pk,
            "outcome": item.outcome,
            "document": document.pk,
            "sha256": document.sha256,
        },
    )
