"""The publication screens: the mayor writes the public summary (from the convention step) and,
after the trip, the public paragraph of the final report, with a preview of exactly what will be
public; the fund's administrator hides them (or shows them again) with a motivation."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from fonds.dossiers.access import get_visible_or_404

from . import publishing, rules
from .forms import HideForm, TextsForm


def _errors(form, refusal: str = "") -> list[dict]:
    if refusal:
        return [{"id": "", "label": "", "message": refusal}]
    return [
        {
            "id": form[name].auto_id if name in form.fields else "",
            "label": form.fields[name].label if name in form.fields else "",
            "message": error,
        }
        for name, errors in form.errors.items()
        for error in errors
    ]


def _dossier(request, pk):
    dossier = get_visible_or_404(request.user, pk)
    mayor = publishing.is_mayor_of(request.user, dossier)
    if not (mayor or publishing.may_hide(request.user)):
        raise PermissionDenied("Réservé à la commune du dossier et aux administrateurs du fonds.")
    if dossier.status not in publishing.SUMMARY_STATUSES:
        raise Http404("Rien à publier pour ce dossier : la convention n'est pas encore proposée.")
    return dossier


@login_required
@require_http_methods(["GET", "POST"])
def edit(request, pk):
    """The mayor's publication page (the administrator reads it, and finds the hiding form there)."""
    dossier = _dossier(request, pk)
    publication = publishing.publication_of(dossier)
    may_summary = publishing.may_write_summary(request.user, dossier)
    may_paragraph = publishing.may_write_paragraph(request.user, dossier)
    initial = {"summary": publication.summary, "report_paragraph": publication.report_paragraph}
    bound = request.method == "POST"
    form = TextsForm(
        request.POST if bound else None, initial=initial, summary=may_summary, paragraph=may_paragraph
    )
    status, refusal, texts = 200, "", {}
    if bound:
        if not (may_summary or may_paragraph):
            raise PermissionDenied("Seule la commune du dossier écrit ses textes publics.")
        if form.is_valid():
            texts = {name: form.cleaned_data[name] for name in form.fields}
            if "save" in request.POST:
                try:
                    publishing.save_texts(dossier, by=request.user, **texts)
                except publishing.PublicationRefused as refused:
                    refusal, status = refused.message, 400
                else:
                    messages.success(request, "Les textes publics du projet sont enregistrés.")
                    return redirect("publication:edit", pk=dossier.pk)
        else:
            status = 400
    preview = rules.preview(dossier, **texts) if bound and form.is_valid() else rules.preview(dossier)
    if publication.hidden:
        preview = rules.preview(dossier, summary="", report_paragraph="")
    context = {
        "title": "Ce que la commune publie",
        "dossier": dossier,
        "publication": publication,
        "form": form,
        "errors": _errors(form, refusal) if bound else [],
        "preview": preview,
        "previewing": bound and "save" not in request.POST and form.is_valid(),
        "is_public": dossier.status in rules.PUBLIC_STATUSES,
        "may_write": may_summary or may_paragraph,
        "may_hide": publishing.may_hide(request.user),
        "hide_form": HideForm(),
    }
    return render(request, "public/edit.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def hide(request, pk):
    """The administrator hides the public texts of a project, or shows them again, with a motivation."""
    if not publishing.may_hide(request.user):
        raise PermissionDenied("Réservé aux administrateurs du fonds.")
    dossier = _dossier(request, pk)
    publication = publishing.publication_of(dossier)
    form = HideForm(request.POST or None)
    status, refusal = 200, ""
    if request.method == "POST":
        if form.is_valid():
            try:
                publishing.set_hidden(
                    dossier,
                    by=request.user,
                    hidden=not publication.hidden,
                    motivation=form.cleaned_data["motivation"],
                )
            except publishing.PublicationRefused as refused:
                refusal, status = refused.message, 400
            else:
                messages.success(
                    request,
                    "Les textes publics du projet sont rétablis."
                    if publication.hidden
                    else "Les textes publics du projet sont masqués.",
                )
                return redirect("publication:edit", pk=dossier.pk)
        else:
            status = 400
    context = {
        "title": "Rétablir les textes publics" if publication.hidden else "Masquer les textes publics",
        "dossier": dossier,
        "publication": publication,
        "form": form,
        "errors": _errors(form, refusal) if request.method == "POST" else [],
    }
    return render(request, "public/hide.html", context, status=status)
