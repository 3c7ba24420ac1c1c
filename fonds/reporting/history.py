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

from . import audit_export

PAYLOAD_PREVIEW = 400


def history_context(dossier) -> dict:
    head_seq, head_hash = audit_export.head()
    events = []
    for event in events_for(dossier).filter(seq__lte=head_seq):
        data = json.loads(event.canonical)
        payload = json.dumps(data["payload"], ensure_ascii=False, sort_keys=True, separators=(", ", ": "))
        events.append(
            {
                "seq": event.seq,
                "at": timezone.localtime(event.created_at),
                "actor": data["actor"]["label"],
                "role": event.actor_role,
                "action": event.action,
                "payload": payload if len(payload) <= PAYLOAD_PREVIEW else payload[:PAYLOAD_PREVIEW] + " …",
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
