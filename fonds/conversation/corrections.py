"""Correction requests live in the conversation: the request (its message, the items named, the
deadline) is a message of the thread, and so is the porteur's answer when they resend; the answer
comes with the diff of the named items (what the request recorded → what the dossier holds now).
The after-hooks are installed by ``ConversationConfig.ready()``."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from fonds.dossiers import services as dossier_services
from fonds.dossiers.editing import SEALED_FIELDS, content_snapshot
from fonds.dossiers.models import BudgetLine, CorrectionRequest, Document, Message
from fonds.dossiers.states import Status
from fonds.formats import euros

from . import services
from .items import field_label
from .signals import correction_answered

CATEGORY_LABELS = dict(BudgetLine.Category.choices)
DOCUMENT_LABELS = dict(Document.Kind.choices)


# ---- after-hooks: the request and the answer as messages ----------------------------------------


def _post_request(dossier, by, correction) -> Message:
    return services.record(
        dossier,
        by=by,
        side=Message.Side.FUND,
        body=correction.message,
        kind=Message.Kind.CORRECTION_REQUEST,
        correction=correction,
    )


def request_message(dossier, by, kwargs, motivation):
    """After ``request_corrections`` (once the dossier recorded its ``CorrectionRequest``)."""
    correction = dossier.correction_requests.order_by("-pk").first()
    if correction is not None:
        _post_request(dossier, by, correction)


def request_messages(items, by, motivation):
    """``request_message`` for a chunk of ``perform_many``: the requests read in one query."""
    dossiers = {d.pk: d for d, _ in items}
    latest = {}
    for correction in CorrectionRequest.objects.filter(dossier_id__in=dossiers, answered_at__isnull=True):
        if correction.pk > getattr(latest.get(correction.dossier_id), "pk", 0):
            latest[correction.dossier_id] = correction
    for pk, correction in latest.items():
        _post_request(dossiers[pk], by, correction)


def answer_message(dossier, by, kwargs, motivation):
    """Before the dossier marks its request answered at ``resubmit``: the porteur's message (if
    any) joins the thread, linked to the request, and ``correction_answered`` is sent."""
    correction = dossier.correction_requests.filter(answered_at__isnull=True).order_by("-pk").first()
    reply = None
    if motivation:
        reply = services.record(
            dossier,
            by=by,
            side=services.side_of(by, dossier) or Message.Side.COMMUNE,
            body=motivation,
            kind=Message.Kind.CORRECTION_ANSWER,
            correction=correction,
        )
    if correction is not None:
        correction_answered.send(
            sender=CorrectionRequest, dossier=dossier, correction=correction, reply=reply, by=by
        )


def register() -> None:
    # after the dossier's own hook (order 50) that records the request; before the one that
    # marks it answered
    dossier_services.after("request_corrections", order=60, many=request_messages)(request_message)
    dossier_services.after("resubmit", order=40)(answer_message)


# ---- the answer's diff ------------------------------------------------------------------------


def _shown(name: str, value) -> str:
    if value in (None, "", [], {}):
        return "—"
    if name in SEALED_FIELDS and isinstance(value, dict):
        return f"{value.get('count', '?')} valeur(s) protégée(s)"
    if name in ("budget", "budget_lines"):
        return " ; ".join(
            f"{'Dépense' if line.get('kind') == 'expense' else 'Recette'} "
            f"{CATEGORY_LABELS.get(line.get('category'), line.get('category'))}"
            f"{' (' + line['label'] + ')' if line.get('label') else ''} : {_amount(line.get('amount'))}"
            for line in value
        )
    if name == "requested_amount":
        return _amount(value)
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _amount(value) -> str:
    try:
        return euros(Decimal(str(value)))
    except (InvalidOperation, ValueError, TypeError):
        return str(value)


def _document(value) -> str:
    if not value:
        return "aucune pièce"
    return f"{value.get('name', '')} (SHA-256 {str(value.get('sha256', ''))[:12]}…)"


def changes(correction, dossier) -> list[dict]:
    """Each item the request named: ``{"label", "before", "after", "changed"}``, « before » as the
    request recorded it (``CorrectionRequest.snapshot``), « after » as the dossier holds it now."""
    before = correction.snapshot or {}
    now = content_snapshot(dossier, fields=correction.fields or [], documents=correction.documents or [])
    rows = []
    for name in correction.fields or []:
        old, new = (before.get("fields") or {}).get(name), now["fields"].get(name)
        rows.append(
            {
                "label": field_label(name),
                "before": _shown(name, old) if "fields" in before else "non enregistré",
                "after": _shown(name, new),
                "changed": old != new,
            }
        )
    for kind in correction.documents or []:
        old, new = (before.get("documents") or {}).get(kind), now["documents"].get(kind)
        rows.append(
            {
                "label": DOCUMENT_LABELS.get(kind, kind),
                "before": _document(old) if "documents" in before else "non enregistré",
                "after": _document(new),
                "changed": old != new,
            }
        )
    return rows


def open_request(dossier) -> CorrectionRequest | None:
    """The correction request the dossier waits on (None unless it is in corrections)."""
    if dossier.status != Status.CORRECTIONS_REQUESTED:
        return None
    return dossier.correction_requests.filter(answered_at__isnull=True).order_by("-pk").first()
