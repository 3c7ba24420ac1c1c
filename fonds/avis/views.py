"""The avis pages. The expert's: « Mes demandes d'avis » and one page per request (the dossier as
submitted, without ages nor bank details nor anything of the fund's own; the answer form). The
fund's: ask from a dossier or a filtered selection, cancel, read an attachment."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fonds.accounts.roles import Role, has_role
from fonds.dossiers.access import get_visible_or_404
from fonds.instruction.filters import filter_dossiers
from fonds.instruction.views.common import staff_area
from fonds.ui.areas import role_area
from fonds.ui.files import private_file, stored_name, uploaded_file

from . import queries, services
from .forms import AnswerForm, AvisRequestForm
from .models import AvisRequest

expert_area = role_area(
    read=frozenset({Role.EXPERT}), write=frozenset({Role.EXPERT}), template="avis/forbidden.html"
)
#: the most dossiers one bulk request may name (an expert answers each one)
BULK_MAX = 50


def _refused(request, refused, template, context):
    messages.error(request, refused.message)
    return render(request, template, context, status=refused.http_status)


# ---- the expert ------------------------------------------------------------------------------


@expert_area
@require_GET
def my_requests(request):
    """« Mes demandes d'avis »: the requests addressed to the expert, pending first."""
    rows = list(queries.expert_requests(request.user).order_by("status", "deadline", "-pk")[:200])
    pending = [a for a in rows if a.is_pending]
    done = [a for a in rows if not a.is_pending]
    return render(
        request,
        "avis/my_requests.html",
        {"title": "Mes demandes d'avis", "nav": "avis", "pending": pending, "done": done},
    )


def _expert_page(request, avis, form, status=200):
    dossier = avis.dossier
    context = {
        "title": f"Demande d'avis — {dossier.reference}",
        "nav": "avis",
        "avis": avis,
        "dossier": dossier,
        "jumelage": dossier.jumelage,
        "budget_lines": list(dossier.budget_lines.order_by("kind", "id")),
        "documents": list(
            dossier.documents.filter(replaced_by__isnull=True, kind__in=queries.EXPERT_DOCUMENT_KINDS)
        ),
        "form": form,
    }
    return render(request, "avis/request.html", context, status=status)


@expert_area
@require_http_methods(["GET", "POST"])
def request_page(request, pk):
    avis = queries.expert_request_or_404(request.user, pk)
    form = AnswerForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not form.is_valid():
            return _expert_page(request, avis, form, status=400)
        try:
            services.answer_avis(
                avis, by=request.user, text=form.cleaned_data["answer"], attachment=form.upload()
            )
        except services.AvisRefused as refused:
            messages.error(request, refused.message)
            return _expert_page(request, avis, form, status=refused.http_status)
        messages.success(request, "Votre avis est envoyé au service du fonds. Merci.")
        return redirect("avis:request", pk=avis.pk)
    return _expert_page(request, avis, form)


@expert_area
@require_GET
def expert_document(request, pk, document_pk):
    """A piece of the dossier the expert is asked about (never the commune's bank details)."""
    avis = queries.expert_request_or_404(request.user, pk)
    document = avis.dossier.documents.filter(
        pk=document_pk, replaced_by__isnull=True, kind__in=queries.EXPERT_DOCUMENT_KINDS
    ).first()
    return uploaded_file(document, missing="Pièce introuvable.")


# ---- the fund --------------------------------------------------------------------------------


@staff_area
@require_http_methods(["GET", "POST"])
def ask(request, pk):
    """Ask an expert about one dossier (instructors and administrators)."""
    dossier = get_visible_or_404(request.user, pk)
    if not request.can_write:
        raise Http404("Dossier introuvable.")
    form = AvisRequestForm(request.POST or None)
    context = {"title": f"Demander un avis — {dossier.reference}", "nav": "instruction", "dossier": dossier}
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "avis/ask.html", {**context, "form": form}, status=400)
        try:
            avis = services.request_avis(dossier, by=request.user, **form.cleaned_data)
        except services.AvisRefused as refused:
            return _refused(request, refused, "avis/ask.html", {**context, "form": form})
        messages.success(
            request, f"Avis demandé à {avis.expert.email}, attendu avant le {avis.deadline:%d/%m/%Y}."
        )
        return redirect(reverse("instruction:dossier", args=[dossier.pk]) + "#avis")
    return render(request, "avis/ask.html", {**context, "form": form})


@staff_area
@require_http_methods(["GET", "POST"])
def ask_selection(request):
    """The same question to the same expert about the dossiers of the list's filtered selection
    (its querystring, as the bulk actions take it), at most ``BULK_MAX``."""
    if not request.can_write:
        raise Http404("Page introuvable.")
    source = request.POST if request.method == "POST" else request.GET
    querystring = source.get("querystring", "")
    qs, _ = filter_dossiers(request.user, QueryDict(querystring))
    dossiers = list(qs.filter(status__in=services.OPEN_STATUSES).select_related("commune")[: BULK_MAX + 1])
    too_many = len(dossiers) > BULK_MAX
    asking = request.method == "POST" and "question" in request.POST
    form = AvisRequestForm(request.POST if asking else None)
    context = {
        "title": "Demander un avis sur une sélection",
        "nav": "instruction",
        "dossiers": dossiers[:BULK_MAX],
        "too_many": too_many,
        "querystring": querystring,
        "form": form,
        "list_url": reverse("instruction:list") + (f"?{querystring}" if querystring else ""),
    }
    if asking:
        if too_many or not dossiers:
            messages.error(
                request, f"Choisissez entre 1 et {BULK_MAX} dossiers ouverts : affinez les filtres."
            )
            return render(request, "avis/ask_selection.html", context, status=400)
        if not form.is_valid():
            return render(request, "avis/ask_selection.html", context, status=400)
        try:
            made = services.request_avis_many(dossiers, by=request.user, **form.cleaned_data)
        except services.AvisRefused as refused:
            return _refused(request, refused, "avis/ask_selection.html", context)
        messages.success(request, f"Avis demandé à {made[0].expert.email} sur {len(made)} dossier(s).")
        return redirect(context["list_url"])
    return render(request, "avis/ask_selection.html", context)


@staff_area
@require_POST
def cancel(request, pk):
    avis = get_object_or_404(AvisRequest, pk=pk)
    get_visible_or_404(request.user, avis.dossier_id)
    try:
        services.cancel_avis(avis, by=request.user)
    except services.AvisRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, f"Demande d'avis à {avis.expert.email} annulée.")
    return redirect(reverse("instruction:dossier", args=[avis.dossier_id]) + "#avis")


def _may_read_attachment(user, avis) -> bool:
    if avis.expert_id == user.pk:
        return True
    if has_role(user, *queries.FUND_ROLES):
        return True
    return avis.shared_with_committee and has_role(user, Role.COMITE)


@role_area(
    read=frozenset({Role.EXPERT, *queries.FUND_ROLES, Role.COMITE}),
    write=None,
    template="avis/forbidden.html",
)
@require_GET
def attachment(request, pk):
    """The answer's attachment: the expert who sent it, the fund, the committee when shared."""
    avis = (
        AvisRequest.objects.filter(pk=pk, status=AvisRequest.Status.ANSWERED).exclude(attachment="").first()
    )
    if avis is None or not _may_read_attachment(request.user, avis):
        raise Http404("Pièce introuvable.")
    if avis.expert_id != request.user.pk:
        get_visible_or_404(request.user, avis.dossier_id)  # a recused committee member reads nothing
    return private_file(
        avis.attachment,
        content_type=avis.attachment_type,
        filename=stored_name(avis.attachment),
        as_attachment=True,
    )
