"""The convention: reading it, accepting it, its PDF and the other generated documents."""

from __future__ import annotations

import json
import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods

from fonds.audit.models import AuditEvent
from fonds.conversation.services import may_read as may_read_conversation
from fonds.documents.models import GeneratedDocument
from fonds.dossiers import services
from fonds.dossiers.states import Status
from fonds.ui.forms import errors_summary

from .. import forms as f
from ..convention import current_convention, ensure_convention
from .common import allowed_actions, dossier_of, pdf_response

log = logging.getLogger(__name__)


# ---- 7. the convention -----------------------------------------------------------------------------


def _acceptance(dossier):
    event = (
        AuditEvent.objects.filter(
            object_type="dossiers.dossier", object_id=str(dossier.pk), action="accept_agreement"
        )
        .order_by("-seq")
        .first()
    )
    if event is None:
        return None
    data = json.loads(event.canonical)["payload"].get("data", {})
    return {
        "at": event.created_at,
        "name": data.get("signatory_name", ""),
        "sha256": data.get("document_sha256", ""),
    }


@login_required
@require_http_methods(["GET", "POST"])
def convention(request, pk):
    dossier = dossier_of(request, pk)
    if dossier.approved_amount is None or dossier.status in (
        Status.IN_COMMITTEE,
        Status.WAITLISTED,
        Status.REJECTED,
    ):
        raise Http404("Pas de convention pour ce dossier.")
    allowed = "accept_agreement" in allowed_actions(dossier, request.user)
    document, failure = None, ""
    try:
        document = (
            ensure_convention(dossier) if dossier.status == Status.APPROVED else current_convention(dossier)
        )
    except Exception:  # WeasyPrint or storage failure: say so, never a 500 for the mayor
        log.exception("convention du dossier %s : génération impossible", dossier.pk)
        failure = (
            "La convention n'a pas pu être établie : l'incident est enregistré, il n'y a rien à refaire "
            "de votre côté."
        )
    initial = {"document_sha256": document.sha256 if document else ""}  # the name is typed, never prefilled
    form = f.AcceptAgreementForm(request.POST or None, initial=initial)
    status, refusal = 200, ""
    if request.method == "POST":
        if not allowed or document is None:
            messages.error(
                request,
                "La convention ne peut pas être acceptée : le dossier n'attend pas votre acceptation.",
            )
            status = 409
        elif form.is_valid():
            data = {
                "signatory_name": form.cleaned_data["signatory_name"],
                "document_sha256": form.cleaned_data["document_sha256"],
            }
            try:
                services.perform(dossier, "accept_agreement", by=request.user, data=data)
            except services.TransitionRefused as refused:
                # shown again with the convention in force (its hash), the name kept, the box to tick again
                refusal = refused.message
                form = f.AcceptAgreementForm(initial={**initial, "signatory_name": data["signatory_name"]})
                status = 409 if refused.http_status == 409 else 400
            else:
                messages.success(
                    request,
                    "Vous avez accepté la convention au nom de la commune. L'avance sera versée "
                    "prochainement.",
                )
                return redirect("suivi:convention", pk=dossier.pk)
        else:
            status = 400
    errors = (
        [{"id": "", "label": "", "message": refusal}]
        if refusal
        else errors_summary(form)
        if form.is_bound
        else []
    )
    context = {
        "title": "Convention attributive",
        "nav": "dossiers",
        "dossier": dossier,
        "document": document,
        "failure": failure,
        "help_url": reverse("conversation:thread", args=[dossier.pk]) + "#dernier"
        if failure and may_read_conversation(request.user, dossier)
        else "",
        "form": form,
        "allowed": allowed and document is not None,
        "errors": errors,
        "acceptance": _acceptance(dossier) if dossier.status != Status.APPROVED else None,
    }
    return render(request, "suivi/convention.html", context, status=status)


@login_required
@xframe_options_sameorigin  # shown inline in the convention page
def convention_pdf(request, pk):
    dossier = dossier_of(request, pk)
    if dossier.approved_amount is None:
        raise Http404("Pas de convention pour ce dossier.")
    document = (
        ensure_convention(dossier) if dossier.status == Status.APPROVED else current_convention(dossier)
    )
    if document is None:
        raise Http404("Convention introuvable.")
    return pdf_response(
        request,
        document.file,
        filename=f"convention-{dossier.reference}.pdf",
    )


@login_required
@xframe_options_sameorigin
def generated_document(request, pk, document_pk):
    """A letter or PDF the fund generated for this dossier, to whoever may see the dossier."""
    dossier = dossier_of(request, pk)
    document = GeneratedDocument.objects.filter(dossier=dossier, pk=document_pk).first()
    if document is None:
        raise Http404("Document introuvable.")
    return pdf_response(
        request,
        document.file,
        filename=document.download_name(dossier.reference),
    )
