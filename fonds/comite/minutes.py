"""The minutes (procès-verbal) of a closed session: a WeasyPrint PDF stored once.

``minutes_context(session)`` gathers the sitting's date, attendance, proxies, recusals, quorum,
vote counts and outcomes per dossier, and the envelope (nominative votes stay in the audit
trail: one paragraph per dossier keeps a 500-dossier closing fast). ``store_minutes(session)``
stores the PDF (``GeneratedDocument`` kind ``minutes``) in the caller's transaction.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from fonds import clock
from fonds.documents.models import GeneratedDocument
from fonds.documents.pdf import write_pdf
from fonds.documents.store import store_once
from fonds.documents.texts import campaign_texts
from fonds.formats import euros

from . import envelope
from .models import AgendaItem, Attendance, ConflictDeclaration, Proxy
from .reading import person_label

KIND = GeneratedDocument.Kind.MINUTES


def minutes_key(session) -> str:
    return f"minutes-session-{session.pk}"


def minutes_context(session, *, at=None) -> dict:
    at = at or clock.now()
    campaign = session.campaign
    members = sorted(session.members.all(), key=lambda u: (u.last_name.lower(), u.email))
    names = {u.pk: u.display_name for u in members}
    presence = dict(Attendance.objects.filter(session=session).values_list("member_id", "presence"))
    labels = dict(Attendance.Presence.choices)
    proxies = list(Proxy.objects.filter(session=session).order_by("id"))
    items = list(session.items.select_related("dossier__commune").order_by("rank"))
    recusals = defaultdict(list)
    for c in ConflictDeclaration.objects.filter(item__session=session).order_by("item_id", "declared_at"):
        recusals[c.item_id].append(
            {"name": names.get(c.member_id, str(c.member_id)), "reason": c.reason, "automatic": c.automatic}
        )
    outcome_labels = dict(AgendaItem.Outcome.choices)
    rows = []
    approved_total = Decimal("0.00")
    waitlisted_total = Decimal("0.00")
    for item in items:
        if item.outcome == AgendaItem.Outcome.APPROVED and item.decided_amount is not None:
            approved_total += item.decided_amount
        if item.outcome == AgendaItem.Outcome.WAITLISTED and item.decided_amount is not None:
            waitlisted_total += item.decided_amount
        rows.append(
            {
                "item": item,
                "dossier": item.dossier,
                "recused": recusals.get(item.pk, []),
                "tally": item.tally or {},
                "quorum": item.quorum or {},
                "outcome": outcome_labels.get(item.outcome, item.outcome),
                "proposed": euros(item.proposed_amount) if item.proposed_amount is not None else "—",
                "amount": euros(item.decided_amount) if item.decided_amount is not None else "—",
                "amended": item.amount is not None
                and item.proposed_amount is not None
                and item.amount != item.proposed_amount,
            }
        )
    committed = envelope.committed(campaign)
    return {
        "fund_name": settings.FJJ_FUND_NAME,
        "texts": campaign_texts(campaign),  # set by an administrator per campaign
        "session": session,
        "campaign": campaign,
        "chair": person_label(session.chair),
        "attendance": [
            {
                "name": names[u.pk],
                "presence": labels.get(presence.get(u.pk, "absent"), "Absent"),
                "chair": u.pk == session.chair_id,
            }
            for u in members
        ],
        "present_count": sum(1 for u in members if presence.get(u.pk) == Attendance.Presence.PRESENT),
        "represented_count": sum(1 for u in members if presence.get(u.pk) == Attendance.Presence.REPRESENTED),
        "proxies": [
            {"giver": names.get(p.giver_id, p.giver_id), "holder": names.get(p.holder_id, p.holder_id)}
            for p in proxies
        ],
        "rows": rows,
        "approved_total": euros(approved_total),
        "waitlisted_total": euros(waitlisted_total),
        "envelope": euros(campaign.envelope),
        "committed": euros(committed),
        "envelope_left": euros(campaign.envelope - committed),
        "counts": {
            label: sum(1 for i in items if i.outcome == code)
            for code, label in AgendaItem.Outcome.choices
            if code
        },
        "rules_version": campaign.rules.version,
        # the day the session sat, when it opened and when it closed (never the generation date)
        "sitting_date": session.sitting_date,
        "opened_at": session.opened_at,
        "closed_at": session.ended_at or at,
        "planned_elsewhen": session.opened_at is not None
        and session.sitting_date != timezone.localdate(session.starts_at),
    }


def render_minutes_pdf(session, *, at=None) -> bytes:
    with translation.override("fr"):
        html = render_to_string("pdf/comite_minutes.html", minutes_context(session, at=at))
    return write_pdf(html)  # fonds/documents/render.py: closed URL fetcher, shared fonts


def store_minutes(session, *, at=None) -> tuple[GeneratedDocument, bool]:
    """Render and store the minutes inside the caller's transaction: ``(document, created)``."""
    return store_once(
        KIND,
        minutes_key(session),
        lambda: render_minutes_pdf(session, at=at),
        filename=f"proces-verbal-comite-{session.pk}.pdf",
    )
