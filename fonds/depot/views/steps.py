"""The six steps of a draft: a new dossier, coming back to a draft, each step's form and the documents."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods

from fonds.dossiers.access import get_visible_or_404, visible_dossiers
from fonds.dossiers.documents import add_document
from fonds.dossiers.editing import create_draft, update_content
from fonds.dossiers.models import Document
from fonds.eligibilite.gate import new_dossier_gate
from fonds.instruction.amount import dossier_distance_km
from fonds.referentiel.models import Campaign

from .. import forms as f
from .. import steps as st
from ..services import save_partnership
from .budget import budget_step
from .common import (
    errors_of,
    guard_editable,
    is_autosave,
    model_errors_into,
    porteur_only,
    refused_answer,
    saved_answer,
    step_page,
)


@login_required
def resume(request, pk):
    """Coming back to a draft lands on its first incomplete step (the check page when all are complete)."""
    dossier, refused = guard_editable(request, pk)
    if refused:
        return refused
    step = st.first_incomplete(dossier)
    if step is None:
        return redirect("depot:check", pk=dossier.pk)
    return redirect("depot:step", pk=dossier.pk, step=step.slug)


@login_required
@require_http_methods(["GET", "POST"])
def new_dossier(request, campaign_pk):
    """Step 1 for a new draft: the draft is created (audited) on the first save."""
    porteur_only(request)
    campaign = Campaign.objects.filter(pk=campaign_pk).first()
    if campaign is None:
        raise Http404("Appel à projets introuvable.")
    if not campaign.is_open():
        reason = "" if campaign.ready_to_open else " : sa préparation n'est pas terminée"
        messages.error(request, f"L'appel à projets « {campaign.name} » n'est pas ouvert aux dépôts{reason}.")
        return redirect("depot:my-dossiers")
    gate = new_dossier_gate(request.user.commune_id, campaign)
    if not gate.allowed:  # E7: refused before any step is filled, nothing created
        if is_autosave(request):
            return JsonResponse({"saved": False, "errors": [], "message": gate.message}, status=409)
        messages.error(request, gate.message)
        return redirect("depot:my-dossiers")
    step = st.BY_SLUG["projet"]
    form = f.ProjectForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                dossier = create_draft(
                    by=request.user, campaign=campaign, fields=_project_fields(form.cleaned_data)
                )
            except ValidationError as exc:
                model_errors_into(form, exc)
            else:
                return saved_answer(request, dossier, step, created=True)
        return refused_answer(
            request,
            errors_of([form]),
            lambda: step_page(
                request, None, step, {"form": form, "campaign": campaign, "error_summary": errors_of([form])}
            ),
        )
    return step_page(request, None, step, {"form": form, "campaign": campaign})


def _project_fields(d) -> dict:
    return {
        "title": d["title"].strip(),
        "summary": d["summary"].strip(),
        "objectives": d["objectives"].strip(),
        "start_date": d["start_date"],
        "end_date": d["end_date"],
        "activity_days": d["activity_days"],
    }


def _project_initial(dossier) -> dict:
    return {
        name: getattr(dossier, name)
        for name in ("title", "summary", "objectives", "start_date", "end_date", "activity_days")
    }


def _participants_initial(dossier) -> dict:
    return {
        "youth_ages": f.format_ages(dossier.youth_ages),
        "leader_ages": f.format_ages(dossier.leader_ages),
        "youth_fewer_opportunities": dossier.youth_fewer_opportunities,
        "youth_first_travel": dossier.youth_first_travel,
    }


def _travel_initial(dossier) -> dict:
    return {
        name: getattr(dossier, name)
        for name in ("travel_mode", "low_carbon", "distance_km", "nights", "nights_hosted")
    }


def _partnership_initial(dossier) -> dict:
    j = dossier.jumelage if dossier.jumelage_id else None
    if j is None:
        return {"kind": "twinning"}
    p = j.partner
    return {
        "partner_name": p.name,
        "country": p.country,
        "kind": j.kind,
        "agreement_date": j.agreement_date,
        "letter_of_intent": j.letter_of_intent,
        "latitude": p.latitude,
        "longitude": p.longitude,
    }


@login_required
@require_http_methods(["GET", "POST"])
def step_view(request, pk, step):
    if step not in st.BY_SLUG:
        raise Http404("Étape inconnue.")
    # saving a step of plain fields (autosave: every few seconds while typing) reads neither the
    # budget lines nor the documents, unless the form is refused and the page shown again
    dossier, refused = guard_editable(
        request, pk, prefetch=not (request.method == "POST" and step in PLAIN_FIELD_STEPS)
    )
    if refused:
        if is_autosave(request):
            return JsonResponse({"saved": False, "message": "Ce dossier n'est plus modifiable."}, status=409)
        return refused
    handler = {
        "projet": _step_project,
        "partenariat": _step_partnership,
        "participants": _step_participants,
        "voyage": _step_travel,
        "budget": budget_step,
        "pieces": _step_documents,
    }[step]
    return handler(request, dossier, st.BY_SLUG[step])


#: steps saved by ``_simple_step`` (their fields only)
PLAIN_FIELD_STEPS = frozenset({"projet", "participants", "voyage"})


def _simple_step(
    request,
    dossier,
    step,
    form_class,
    initial,
    to_fields=None,
    *,
    save=None,
    form_kwargs=None,
    context=None,
    mapping=None,
):
    """GET: the form filled from the dossier; POST: validate, then save the cleaned data through
    update_content (``to_fields(data)``), or through the step's own ``save(data)``."""
    form_kwargs = form_kwargs or {}
    if request.method == "POST":
        form = form_class(request.POST, **form_kwargs)
        if form.is_valid():
            try:
                if save is not None:
                    save(form.cleaned_data)
                else:
                    update_content(dossier, by=request.user, fields=to_fields(form.cleaned_data))
            except ValidationError as exc:
                model_errors_into(form, exc, mapping)
            except PermissionDenied:
                return refused_answer(request, [], lambda: redirect("dossier-detail", pk=dossier.pk))
            else:
                return saved_answer(request, dossier, step)
        errors = errors_of([form])
        return refused_answer(
            request,
            errors,
            lambda: step_page(
                request, dossier, step, {"form": form, "error_summary": errors, **(context or {})}
            ),
        )
    form = form_class(initial=initial, **form_kwargs)
    return step_page(request, dossier, step, {"form": form, **(context or {})})


def _step_project(request, dossier, step):
    return _simple_step(request, dossier, step, f.ProjectForm, _project_initial(dossier), _project_fields)


def _step_participants(request, dossier, step):
    return _simple_step(
        request, dossier, step, f.ParticipantsForm, _participants_initial(dossier), lambda d: dict(d)
    )


def _step_travel(request, dossier, step):
    computed = None
    partner = dossier.jumelage.partner if dossier.jumelage_id else None
    km, source = dossier_distance_km(dossier)
    if source == "coordinates":
        computed = km

    def to_fields(d):
        fields = {name: d[name] for name in ("travel_mode", "low_carbon", "nights", "nights_hosted")}
        fields["distance_km"] = computed if computed is not None else d.get("distance_km")
        return fields

    context = {
        "computed_km": computed,
        "partner": partner,
        "commune_has_coordinates": dossier.commune.latitude is not None
        and dossier.commune.longitude is not None,
    }
    return _simple_step(
        request,
        dossier,
        step,
        f.TravelForm,
        _travel_initial(dossier),
        to_fields,
        form_kwargs={"computed_km": computed},
        context=context,
    )


def _step_partnership(request, dossier, step):
    def save(d):
        save_partnership(
            dossier,
            by=request.user,
            name=d["partner_name"],
            country=d["country"],
            kind=d["kind"],
            agreement_date=d["agreement_date"],
            letter_of_intent=d["letter_of_intent"],
            latitude=d["latitude"],
            longitude=d["longitude"],
        )

    return _simple_step(
        request,
        dossier,
        step,
        f.PartnershipForm,
        _partnership_initial(dossier),
        save=save,
        mapping={"name": "partner_name", "jumelage": None, "__all__": None},
    )


def _step_documents(request, dossier, step):
    params = dossier.rules.params
    kinds = st.required_kinds(dossier)
    max_mb = int(params["uploads"]["max_file_mb"])
    form = f.DocumentsForm(request.POST or None, request.FILES or None, kinds=kinds, max_file_mb=max_mb)
    if request.method == "POST":
        stored = []
        if form.is_valid():
            for kind in form.fields:
                upload = form.cleaned_data.get(kind)
                if not upload:
                    continue
                if upload.size > max_mb * 1024 * 1024:
                    form.add_error(
                        kind,
                        f"Le fichier dépasse {max_mb} Mo : réduisez-le (par exemple en le numérisant en "
                        "noir et blanc) puis déposez-le à nouveau.",
                    )
                    continue
                try:
                    add_document(dossier, by=request.user, kind=kind, name=upload.name, data=upload.read())
                except ValidationError as exc:
                    form.add_error(kind, exc.messages)
                except PermissionDenied:
                    return redirect("dossier-detail", pk=dossier.pk)
                else:
                    stored.append(dict(Document.Kind.choices).get(kind, kind))
        if stored:
            messages.success(request, "Pièce(s) enregistrée(s) : " + ", ".join(stored) + ".")
        if form.errors:
            dossier = get_visible_or_404(
                request.user, dossier.pk, st.dossier_for_steps(visible_dossiers(request.user))
            )
            errors = errors_of([form])
            return step_page(request, dossier, step, _documents_context(dossier, kinds, form, errors))
        return (
            saved_answer(request, dossier, step)
            if stored or request.POST.get("action") != "stay"
            else redirect("depot:step", pk=dossier.pk, step=step.slug)
        )
    return step_page(request, dossier, step, _documents_context(dossier, kinds, form, []))


def _documents_context(dossier, kinds, form, errors) -> dict:
    current = st.current_documents(dossier)
    rows = [
        {"kind": kind, "field": form[kind], "document": current.get(kind), "required": kind in kinds}
        for kind in form.fields
    ]
    return {"form": form, "rows": rows, "error_summary": errors, "multipart": True}
