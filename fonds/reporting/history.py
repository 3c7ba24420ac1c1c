"""The per-dossier history PDF (WeasyPrint): every audit event of the dossier, in chain order,
ending with the sequence number and hash of its last chained event (an anchor to compare with the
whole-trail export or ``manage.py verify_audit``); events still waiting for the sequencer
(deferred mode) are listed last, « en cours de chaînage ».

Rendered on request: a dossier has tens of events, the PDF takes a fraction of a second."""

from __future__ import annotations

import json

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from fonds import clock
from fonds.audit.queries import events_for, pending_for
from fonds.documents.pdf import write_pdf
from fonds.ui.event_sentences import describe

from . import audit_export


def _line(data: dict, event, **chained) -> dict:
    return {
        "at": timezone.localtime(event.created_at),
        # no actor: the fund's own scheduled work (reminders, emails), stored as « system »
        "actor": data["actor"]["label"] if data["actor"]["id"] is not None else "Traitement automatique",
        "role": event.actor_role,
        "action": event.action,
        "sentence": describe(event.action, data["payload"]),
        **chained,
    }


def history_context(dossier) -> dict:
    # deferred mode (docs/audit.md): events not chained yet are listed « en cours de chaînage »;
    # read before the head, so that one chained meanwhile shows once (as chained), never zero times
    pending = pending_for(dossier)
    head_seq, head_hash = audit_export.head()
    events, bodies = [], set()
    for event in events_for(dossier).filter(seq__lte=head_seq):
        data = json.loads(event.canonical)
        bodies.add(event.canonical.rsplit(',"seq":', 1)[0])
        events.append(_line(data, event, seq=event.seq, hash=event.hash, prev_hash=event.prev_hash))
    chained = events[-1] if events else None
    for event in pending:
        if event.body not in bodies:
            events.append(_line(event.data, event, seq=None, hash="", prev_hash="", pending=True))
    return {
        "fund_name": settings.FJJ_FUND_NAME,
        "dossier": dossier,
        "commune": dossier.commune,
        "events": events,
        "last": chained,
        "head_seq": head_seq,
        "head_hash": head_hash,
        "generated_at": clock.localnow(),
    }


def render_history_pdf(dossier) -> bytes:
    html = render_to_string("pdf/history.html", history_context(dossier))
    return write_pdf(html)  # fonds/documents/render.py: closed URL fetcher, shared fonts
