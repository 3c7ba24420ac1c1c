"""The items a correction request names (fields, budget, documents): their French labels, the
draft step where each is fixed (the front office's step URLs) and whether it was done since."""

from __future__ import annotations

import json

from django.urls import NoReverseMatch, reverse

from fonds.audit.models import AuditEvent
from fonds.dossiers.models import Document, Dossier

#: where each dossier field is edited in the draft builder (fonds/depot), by step
FIELD_STEPS = {
    "title": "project",
    "summary": "project",
    "objectives": "project",
    "start_date": "project",
    "end_date": "project",
    "activity_days": "project",
    "jumelage": "partnership",
    "partner": "partnership",
    "agreement_date": "partnership",
    "letter_of_intent": "partnership",
    "youth_ages": "participants",
    "leader_ages": "participants",
    "youth_fewer_opportunities": "participants",
    "youth_first_travel": "participants",
    "travel_mode": "travel",
    "low_carbon": "travel",
    "distance_km": "travel",
    "nights": "travel",
    "nights_hosted": "travel",
    "requested_amount": "budget",
    "budget": "budget",
    "budget_lines": "budget",
}
STEP_TITLES = {
    "project": "Le projet",
    "partnership": "Le partenariat",
    "participants": "Les participants",
    "travel": "Le voyage",
    "budget": "Le budget",
    "documents": "Les pièces justificatives",
}
#: the draft builder's slugs (``fonds.depot.steps``) of each step
STEP_SLUGS = {
    "project": "projet",
    "partnership": "partenariat",
    "participants": "participants",
    "travel": "voyage",
    "budget": "budget",
    "documents": "pieces",
}
EXTRA_FIELD_LABELS = {
    "budget": "Budget (dépenses et recettes)",
    "budget_lines": "Budget (dépenses et recettes)",
    "partner": "Ville partenaire",
    "agreement_date": "Date de la convention de jumelage",
    "letter_of_intent": "Lettre d'intention",
}


def step_url(pk: int, step: str) -> str | None:
    """The draft builder's page for ``step``, or None while it does not exist."""
    try:
        return reverse("depot:step", args=(pk, STEP_SLUGS.get(step, step)))
    except NoReverseMatch:
        return None


def field_label(name: str) -> str:
    if name in EXTRA_FIELD_LABELS:
        return EXTRA_FIELD_LABELS[name]
    try:
        label = str(Dossier._meta.get_field(name).verbose_name)
    except Exception:
        return name
    return label[:1].upper() + label[1:]


def correction_items(dossier, request_) -> tuple[list[dict], list[dict]]:
    """The fields and documents to fix, each with its label, where to fix it and when it was done
    since the request (read from the ``update_content`` events and the uploads)."""
    changed_at: dict[str, object] = {}
    events = (
        AuditEvent.objects.filter(
            object_type="dossiers.dossier",
            object_id=str(dossier.pk),
            action="update_content",
            created_at__gte=request_.created_at,
        )
        .order_by("seq")
        .only("canonical", "created_at")
    )
    for event in events:
        payload = json.loads(event.canonical).get("payload", {})
        for name in payload.get("fields") or {}:
            changed_at[name] = event.created_at
        if "budget_lines" in payload:
            changed_at["budget"] = changed_at["budget_lines"] = event.created_at
    uploaded = {}
    for kind, at in dossier.documents.filter(uploaded_at__gte=request_.created_at).values_list(
        "kind", "uploaded_at"
    ):
        uploaded[kind] = max(at, uploaded.get(kind, at))
    kinds = dict(Document.Kind.choices)
    fields = []
    for name in request_.fields or []:
        step = FIELD_STEPS.get(name)
        fields.append(
            {
                "name": name,
                "label": field_label(name),
                "step": STEP_TITLES.get(step, ""),
                "url": step_url(dossier.pk, step) if step else None,
                "done_at": changed_at.get(name),
            }
        )
    documents_url = step_url(dossier.pk, "documents")
    documents = [
        {"kind": kind, "label": kinds.get(kind, kind), "url": documents_url, "done_at": uploaded.get(kind)}
        for kind in request_.documents or []
    ]
    return fields, documents
