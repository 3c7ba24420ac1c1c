"""What the complete dossier says, as template contexts: the front part (the submitted content,
the list of attachments) and the back part (eligibility, grid, amount, expert opinions and notes
per audience, decisions, payments, then the dossier's audit events with their hashes, ending with
the last hash).

The events are capped at ``last_seq`` (the dossier's version, part of the stored document's
key): the PDF is the dossier as of that event, whatever is appended while it is made.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from fonds import clock
from fonds.audit.models import AuditEvent
from fonds.audit.queries import events_for
from fonds.avis import queries as avis_queries
from fonds.avis.models import AvisRequest
from fonds.comite.models import AgendaItem
from fonds.depot.content import submitted_content_sha256
from fonds.depot.receipts import submission_record
from fonds.dossiers.editing import EDITABLE_FIELDS
from fonds.dossiers.models import Document, Dossier
from fonds.eligibilite.models import EligibilityRun
from fonds.instruction.models import AmountProposal, EligibilityOverride, PrivateNote, Score
from fonds.payments.models import PaymentOrder
from fonds.reporting import audit_export
from fonds.ui.event_sentences import describe

from .audiences import Audience

#: the event each generated complete PDF leaves on its dossier; not counted in the dossier's
#: version (``last_seq``), else making one audience's PDF would make the others stale
GENERATED_EVENT = "complete_dossier_generated"
DOSSIER_TYPE = audit_export.DOSSIER_OBJECT_TYPE
NOTE_TYPE = "instruction.privatenote"


def last_seq(dossier_id: int, audience: Audience) -> int:
    """The dossier's version for ``audience``: the sequence number of its last event (0: none
    yet), the generation events of its complete PDFs aside; with the events of its private notes
    for the audiences that read them (a new note calls for a new PDF, not the committee's)."""
    dossier_events = AuditEvent.objects.filter(object_type=DOSSIER_TYPE, object_id=str(int(dossier_id)))
    seq = dossier_events.exclude(action=GENERATED_EVENT).aggregate(last=Max("seq"))["last"] or 0
    if audience.private_notes:
        notes = [
            str(pk) for pk in PrivateNote.objects.filter(dossier_id=dossier_id).values_list("pk", flat=True)
        ]
        if notes:
            note_seq = AuditEvent.objects.filter(object_type=NOTE_TYPE, object_id__in=notes).aggregate(
                last=Max("seq")
            )["last"]
            seq = max(seq, note_seq or 0)
    return seq


def attachments(dossier) -> list[Document]:
    """The current attachments (a replaced one is not), in the order the dossier lists them."""
    return list(dossier.documents.filter(replaced_by__isnull=True).order_by("kind", "uploaded_at", "pk"))


def _event_row(event: AuditEvent) -> dict:
    data = json.loads(event.canonical)
    return {
        "seq": event.seq,
        "at": timezone.localtime(event.created_at),
        "actor": data["actor"]["label"] if data["actor"]["id"] is not None else "Traitement automatique",
        "role": event.actor_role,
        "action": event.action,
        "sentence": describe(event.action, data["payload"]),
        "hash": event.hash,
        "prev_hash": event.prev_hash,
    }


def _field_rows(dossier) -> list[dict]:
    rows = []
    for name in EDITABLE_FIELDS:
        field = Dossier._meta.get_field(name)
        if name == "jumelage":
            value = str(dossier.jumelage) if dossier.jumelage_id else ""
        elif field.choices:
            value = getattr(dossier, f"get_{name}_display")()
        else:
            value = getattr(dossier, name)
            if isinstance(value, list):
                value = ", ".join(str(v) for v in value)
            elif isinstance(value, bool):
                value = "oui" if value else "non"
        rows.append({"label": str(field.verbose_name).capitalize(), "value": "" if value is None else value})
    return rows


def front_context(dossier, audience: Audience, docs: list[Document]) -> dict:
    record = submission_record(dossier)
    return {
        "fund_name": settings.FJJ_FUND_NAME,
        "audience": audience,
        "dossier": dossier,
        "commune": dossier.commune,
        "fields": _field_rows(dossier),
        "budget_lines": list(dossier.budget_lines.all()),
        "submission": record,
        "content_sha256_now": submitted_content_sha256(dossier),
        "attachments": docs,
        "generated_at": clock.localnow(),
    }


def opinions(dossier, audience: Audience) -> list[AvisRequest]:
    """The experts' answered opinions: all of them for the fund, the shared ones for the committee."""
    if audience.confidential_opinions:
        answered = avis_queries.for_fund(dossier).filter(status=AvisRequest.Status.ANSWERED)
    else:
        answered = avis_queries.for_committee(dossier)
    return list(answered.order_by("answered_at", "pk"))


def back_context(dossier, audience: Audience, upto: int) -> dict:
    """Everything after the attachments; audit events up to ``upto`` (the dossier's version)."""
    runs = (
        EligibilityRun.objects.filter(dossier=dossier)
        .exclude(moment=EligibilityRun.Moment.PREVIEW)
        .select_related("ran_by")
        .prefetch_related("verdicts")
        .order_by("ran_at", "pk")
    )
    events = [_event_row(e) for e in events_for(dossier).filter(seq__lte=upto)]
    notes = note_events = []
    if audience.private_notes:
        notes = list(
            PrivateNote.objects.filter(dossier=dossier).select_related("author").order_by("created_at")
        )
    if audience.note_events and notes:
        note_events = [
            _event_row(e)
            for e in AuditEvent.objects.filter(
                object_type=NOTE_TYPE, object_id__in=[str(n.pk) for n in notes], seq__lte=upto
            ).order_by("seq")
        ]
    return {
        "fund_name": settings.FJJ_FUND_NAME,
        "audience": audience,
        "dossier": dossier,
        "runs": runs,
        "overrides": EligibilityOverride.objects.filter(dossier=dossier).select_related("by").order_by("at"),
        "scores": Score.objects.filter(dossier=dossier).select_related("by").order_by("pk"),
        "assessment": getattr(dossier, "assessment", None),
        "proposals": [
            {"proposal": p, "breakdown": sorted(p.breakdown.items()) if isinstance(p.breakdown, dict) else []}
            for p in AmountProposal.objects.filter(dossier=dossier).select_related("by").order_by("at", "pk")
        ],
        "items": AgendaItem.objects.filter(dossier=dossier)
        .select_related("session")
        .order_by("session__starts_at"),
        "orders": PaymentOrder.objects.filter(dossier=dossier).order_by("created_at", "pk"),
        "opinions": opinions(dossier, audience),
        "notes": notes,
        "note_events": note_events,
        "events": events,
        "last": events[-1] if events else None,
        "upto": upto,
        "generated_at": clock.localnow(),
    }
