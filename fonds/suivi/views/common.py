"""What the front-office pages after submission share: the dossier read, the allowed transitions,
the draft builder's links, the error summary, a PDF answer."""

from __future__ import annotations

from django.http import FileResponse
from django.urls import NoReverseMatch, reverse

from fonds.depot.steps import BY_SLUG
from fonds.dossiers import services
from fonds.dossiers.access import get_visible_or_404, visible_dossiers
from fonds.dossiers.models import Dossier
from fonds.ui.files import private_file

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
#: the draft builder's own slugs, when it names its steps in French
STEP_ALIASES = {"project": "projet", "partnership": "partenariat", "travel": "voyage", "documents": "pieces"}
EXTRA_FIELD_LABELS = {
    "budget": "Budget (dépenses et recettes)",
    "budget_lines": "Budget (dépenses et recettes)",
    "partner": "Ville partenaire",
    "agreement_date": "Date de la convention de jumelage",
    "letter_of_intent": "Lettre d'intention",
}


def dossier_of(request, pk) -> Dossier:
    return get_visible_or_404(
        request.user,
        pk,
        visible_dossiers(request.user).select_related("campaign", "commune", "jumelage__partner"),
    )


def allowed_actions(dossier, user) -> set[str]:
    return {a["name"] for a in services.available_transitions(dossier, user)}


def step_url(pk: int, step: str) -> str | None:
    """The draft builder's page for ``step``, or None while it does not exist."""
    slug = step
    if step not in BY_SLUG and STEP_ALIASES.get(step) in BY_SLUG:
        slug = STEP_ALIASES[step]
    try:
        return reverse("depot:step", args=(pk, slug))
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


def errors_summary(*forms_or_formsets) -> list[dict]:
    """``[{"id", "label", "message"}]`` of every error, for the error summary at the top of a page."""
    out = []

    def of_form(form, prefix_label=""):
        for name, errors in form.errors.items():
            field = form[name] if name in form.fields else None
            for error in errors:
                label = f"{prefix_label}{field.label}" if field is not None else prefix_label.rstrip(" —")
                out.append(
                    {"id": field.auto_id if field is not None else "", "label": label, "message": error}
                )

    for item in forms_or_formsets:
        if item is None:
            continue
        if hasattr(item, "forms"):
            noun = getattr(item, "noun", "Ligne")
            for i, form in enumerate(item.forms, start=1):
                of_form(form, f"{noun} {i} — ")
            for error in item.non_form_errors():
                out.append({"id": "", "label": "", "message": error})
        else:
            of_form(item)
    return out


def pdf_response(request, file, *, filename: str) -> FileResponse:
    """The PDF inline, or as a download with ``?telecharger=1``."""
    download = bool(request.GET.get("telecharger"))
    return private_file(
        file, content_type="application/pdf", as_attachment=download, filename=filename, csp=None
    )
