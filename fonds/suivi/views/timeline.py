"""The dossier's timeline as the porteur sees it (their own events and the decisions)."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import render
from django.urls import reverse

from fonds.accounts.roles import sees_all_dossiers
from fonds.audit.models import AuditEvent
from fonds.comite.letters import letters_in_progress
from fonds.conversation.services import may_read as may_read_conversation
from fonds.documents.models import GeneratedDocument
from fonds.dossiers import services
from fonds.dossiers.models import Document, Message
from fonds.formats import euros
from fonds.ui.event_sentences import describe

from ..models import FinalReport
from .common import dossier_of
from .report import may_read_participant_list

# ---- 9. the timeline ------------------------------------------------------------------------------------


def _euros(value) -> str:
    try:
        return euros(value)
    except (ArithmeticError, ValueError, TypeError):
        return str(value)


def _event_details(
    action: str, payload: dict, documents: dict, generated: dict, dossier_pk: int, messages: dict
) -> dict:
    """What a row of the timeline says beyond its label: a text, a link, a fingerprint."""
    data = payload.get("data") or {}
    out = {"text": "", "link": None, "link_text": "", "sha256": ""}
    motivation = payload.get("motivation") or ""
    if action in MESSAGE_EVENTS:  # the message itself, read from the conversation
        message = messages.get(payload.get("message"))
        # a correction request's or answer's text is already the motivation of its transition
        plain = payload.get("kind", "message") == "message"
        out["text"] = message.body if message is not None and plain else ""
        out["sha256"] = payload.get("sha256", "")
        out["link"] = reverse("conversation:thread", args=[dossier_pk]) + (
            f"#message-{message.pk}" if message is not None else ""
        )
        out["link_text"] = "Voir dans la conversation"
    elif action == "request_corrections":
        out["text"] = motivation
    elif action == "accept_agreement":
        if data.get("signatory_name"):
            out["text"] = f"Acceptée au nom de la commune par {data['signatory_name']}."
        out["sha256"] = data.get("document_sha256", "")
    elif action == "submit_report":
        if data.get("balance") is not None:
            out["text"] = f"Solde calculé : {_euros(data['balance'])}."
        out["sha256"] = data.get("report_sha256", "")
    elif action == "approve" or action == "promote":
        if data.get("amount") is not None:
            out["text"] = f"Montant accordé : {_euros(data['amount'])}."
        out["text"] = " ".join(x for x in (out["text"], motivation) if x)
    elif action in ("document_uploaded",):
        doc = documents.get(payload.get("document"))
        out["text"] = (
            f"{dict(Document.Kind.choices).get(payload.get('kind'), payload.get('kind', ''))} : "
            f"{payload.get('name', '')}"
        )
        out["sha256"] = payload.get("sha256", "")
        if doc is not None:
            out["link"] = reverse("dossier-document", args=[dossier_pk, doc.pk])
            out["link_text"] = "Télécharger la pièce"
    elif action.endswith("_generated"):  # convention_generated, and the other stages' generated letters
        doc = generated.get(payload.get("document"))
        out["sha256"] = payload.get("sha256", "")
        if doc is not None:
            out["link"] = reverse("suivi:generated-document", args=[dossier_pk, doc.pk])
            out["link_text"] = "Télécharger le document"
    else:  # the other transitions and events: their payload told in a sentence, never raw
        out["text"] = describe(action, payload)
    return out


#: the conversation's events (``message_sent``: before the conversation, the fund's messages only)
MESSAGE_EVENTS = frozenset({"message_sent", "message_posted"})
#: besides the transitions and the generated letters ("…_generated"), the events a porteur sees
#: in its timeline; the fund's internal work (scores, notes, conflict declarations…) is for staff
PORTEUR_EVENTS = frozenset(
    {
        "create_draft",
        "update_content",
        "document_uploaded",
        "eligibility_checked",
        "final_report_saved",
        *MESSAGE_EVENTS,
    }
)


@login_required
def timeline(request, pk):
    dossier = dossier_of(request, pk)
    documents = {d.pk: d for d in Document.objects.filter(dossier=dossier).order_by("uploaded_at", "pk")}
    generated = {
        d.pk: d for d in GeneratedDocument.objects.filter(dossier=dossier).order_by("created_at", "pk")
    }
    messages = {m.pk: m for m in Message.objects.filter(dossier=dossier).only("pk", "body")}
    events = AuditEvent.objects.filter(object_type="dossiers.dossier", object_id=str(dossier.pk))
    if not sees_all_dossiers(request.user):
        events = events.filter(
            Q(action__in=PORTEUR_EVENTS | set(services.TRANSITIONS)) | Q(action__endswith="_generated")
        )
    may_read_messages = may_read_conversation(request.user, dossier)
    rows = []
    for event in events.order_by("seq").only("seq", "created_at", "action", "actor_role", "canonical"):
        payload = json.loads(event.canonical).get("payload", {})
        details = _event_details(event.action, payload, documents, generated, dossier.pk, messages)
        if not may_read_messages and event.action in MESSAGE_EVENTS:
            details.pop("link", None)  # the committee does not read the conversation (404 there)
        rows.append({"event": event, **details})
    report_ = (
        FinalReport.objects.filter(dossier=dossier)
        .only("pk", "participant_list", "participant_list_sha256", "updated_at", "dossier_id")
        .first()
    )
    context = {
        "title": f"Historique du dossier {dossier.reference}",
        "nav": "dossiers",
        "dossier": dossier,
        "rows": rows,
        "documents": list(documents.values()),
        "generated": list(generated.values()),
        "letters_in_progress": letters_in_progress(dossier),
        "may_read_messages": may_read_messages,
        "participant_list": report_
        if report_ is not None
        and report_.participant_list
        and may_read_participant_list(request.user, dossier)
        else None,
    }
    return render(request, "suivi/timeline.html", context)
