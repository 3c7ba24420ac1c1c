"""The labels' screens: the labels of each campaign (and a new one), a label put on or taken off
a dossier from its instruction page. Writes go through ``fonds.instruction.labels``."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from fonds.dossiers.access import get_visible_or_404
from fonds.dossiers.services import TransitionRefused
from fonds.ui.submit import submitted

from .. import labels
from ..label_forms import DossierLabelForm, LabelForm
from ..models import Label
from .common import dossier_url, staff_area


@staff_area
@require_http_methods(["GET", "POST"])
def label_list(request):
    form = LabelForm(request.POST or None)
    done, status = submitted(
        request,
        form,
        lambda: labels.create_label(
            form.cleaned_data["campaign"],
            by=request.user,
            name=form.cleaned_data["name"],
            colour=form.cleaned_data["colour"],
        ),
        success=lambda label: f"Étiquette « {label.name} » créée pour {label.campaign.name}.",
        then="instruction:labels",
    )
    if done:
        return done
    rows = Label.objects.select_related("campaign").order_by("-campaign__opens_at", "campaign_id", "name")
    return render(
        request,
        "instruction/labels.html",
        {"title": "Étiquettes des dossiers", "nav": "instruction", "form": form, "labels": rows},
        status=status,
    )


@staff_area
@require_POST
def dossier_labels(request, pk):
    """Add (``label``) or remove (``retirer`` = a label id) a label of the dossier."""
    dossier = get_visible_or_404(request.user, pk)
    anchor = dossier_url(dossier, "etiquettes")
    remove = request.POST.get("retirer")
    try:
        if remove:
            label = get_object_or_404(Label, pk=remove if remove.isdigit() else 0)
            labels.detach(dossier, label, by=request.user)
            messages.success(request, f"Étiquette « {label.name} » retirée.")
        else:
            form = DossierLabelForm(request.POST, dossier=dossier)
            if not form.is_valid():
                messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
                return redirect(anchor)
            label = form.cleaned_data["label"]
            labels.attach(dossier, label, by=request.user)
            messages.success(request, f"Étiquette « {label.name} » ajoutée.")
    except TransitionRefused as refused:
        messages.error(request, refused.message)
    return redirect(anchor)
