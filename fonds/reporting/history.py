"""The per-dossier history PDF (WeasyPrint): every audit event of the dossier, in chain order,
ending with the sequence number and hash of its last event (an anchor to compare with the
whole-trail export or ``manage.py verify_audit``).

Rendered on request: a dossier has tens of events, the PDF takes a fraction of a second."""

from __future__ import annotations

import json

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from fonds import clock
from fonds.audit.queries import events_for
from fonds.documents.pdf import write_pdf
from fonds.ui.event_sentences import describe

from . import audit_export


def history_context(dossier) -> dict:
    head_seq, head_hash = audit_export.head()
    events = []
    for event in events_for(dossier).filter(seq__lte=head_seq):
        data = json.loads(event.canonical)
        events.append(
            {
                "seq": event.seq,
                "at": timezone.localtime(event.created_at),
                # no actor: the fund's own scheduled work (reminders, emails), stored as « system »
                "actor": data["actor"]["label"]
                if data["actor"]["id"] is not None
                else "Traitement automatique",
                "role": event.actor_role,
                "action": event.action,
                "sentence": describe(event.action, data["payload"]),
                "hash": event.hash,
                "prev_hash": event.prev_hash,
            }
        )
    return {
        "fund_name": settings.FJJ_FUND_NAME,
        "dossier": dossier,
        "commune": dossier.commune,
        "events": events,
        "last": events[-1] if events else None,
        "head_seq": head_seq,
        "head_hash": head_hash,
        "generated_at": clock.localnow(),
    }


def render_history_pdf(dossier) -> bytes:
    html = render_to_string("pdf/history.html", history_context(dossier))
    return write_pdf(html)  # fonds/documents/render.py: closed URL fetcher, shared fonts
