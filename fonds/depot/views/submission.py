"""The check page, the submission (an explicit confirmation), its confirmation page and the receipt."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from fonds.conversation.corrections import open_request
from fonds.conversation.forms import ResubmitForm
from fonds.conversation.items import correction_items
from fonds.conversation.services import may_read as may_read_conversation
from fonds.dossiers import services as dossier_services
from fonds.dossiers.access import can_edit, get_visible_or_404, visible_dossiers
from fonds.dossiers.states import Status
from fonds.eligibilite.engine import run_checks
from fonds.eligibilite.models import Verdict
from fonds.instruction.amount import grant_for_dossier
from fonds.ui.files import private_file
from fonds.ui.progress import READY, document_progress_context, document_status_response

from .. import forms as f
from .. import steps as st
from ..receipts import receipt_progress, submission_record
from .budget import budget_totals
from .common import porteur_only

# ---- check and submit ----------------------------------------------------------------------------


def _check_context(request, dossier) -> dict:
    run = run_checks(dossier, moment="preview", by=request.user, store=False)
    verdicts = []
    for v in run.preview_verdicts:
        failed = v.result == Verdict.Result.FAIL
        slug = st.RULE_STEPS.get(v.code)
        verdicts.append(
            {
                "code": v.code,
                "title": st.RULE_TITLES.get(v.code, v.code),
                "result": v.result,
                "failed": failed,
                "passed": v.result == Verdict.Result.PASS,
                "blocking": v.blocking,
                "explanation": v.explanation,
                "how_to_fix": v.how_to_fix,
                "step": st.BY_SLUG[slug] if slug else None,
                "step_url": reverse("depot:step", args=[dossier.pk, slug])
                if slug and can_edit(request.user, dossier)
                else None,
            }
        )
    blocking = [v for v in verdicts if v["failed"] and v["blocking"]]
    advisory = [v for v in verdicts if v["failed"] and not v["blocking"]]
    correction = open_request(dossier)
    items = correction_items(dossier, correction) if correction is not None else ([], [])
    return {
        "title": f"Vérifier et déposer — {dossier.reference}",
        "nav": "dossiers",
        "dossier": dossier,
        "verdicts": verdicts,
        "blocking": blocking,
        "advisory": advisory,
        "rules_version": run.rules_version,
        "grant": grant_for_dossier(dossier),
        "states": st.step_states(dossier),
        "can_submit": not blocking and dossier.status == Status.DRAFT,
        "is_draft": dossier.status == Status.DRAFT,
        "correction": correction,
        "correction_fields": items[0],
        "correction_documents": items[1],
        "can_resubmit": correction is not None
        and any(
            a["name"] == "resubmit" for a in dossier_services.available_transitions(dossier, request.user)
        ),
        "resubmit_form": ResubmitForm(),
        "totals": budget_totals(list(dossier.budget_lines.all())),
    }


@login_required
def check(request, pk):
    """Every rule E1–E9 in plain French with how to fix a failure, and the amount the formula gives."""
    dossier = get_visible_or_404(request.user, pk, st.dossier_for_steps(visible_dossiers(request.user)))
    context = _check_context(request, dossier)
    context["submit_form"] = f.SubmitForm()
    return render(request, "depot/check.html", context)


@login_required
@require_POST
def submit(request, pk):
    """The explicit confirmation (checkbox), then ``perform(dossier, "submit")``; the receipt follows
    by Celery."""
    porteur_only(request)
    dossier = get_visible_or_404(request.user, pk, st.dossier_for_steps(visible_dossiers(request.user)))
    form = f.SubmitForm(request.POST)
    if form.is_valid():
        try:
            dossier_services.perform(dossier, "submit", by=request.user)
        except dossier_services.TransitionRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(
                request,
                f"Le dossier {dossier.reference} est déposé. Le récépissé vous est envoyé par courriel.",
            )
            return redirect("depot:submitted", pk=dossier.pk)
        dossier = get_visible_or_404(request.user, pk, st.dossier_for_steps(visible_dossiers(request.user)))
    context = _check_context(request, dossier)
    context["submit_form"] = form
    context["error_summary"] = [
        {"id": form["confirm"].auto_id, "label": "Confirmation", "message": e}
        for e in form.errors.get("confirm", [])
    ]
    return render(request, "depot/check.html", context, status=400 if form.errors else 409)


def _receipt_context(request, dossier, progress) -> dict:
    """The receipt's progress display; help through the dossier's conversation for who may write."""
    help_link = {}
    if may_read_conversation(request.user, dossier):
        help_link = {
            "help_url": reverse("conversation:thread", args=[dossier.pk]) + "#dernier",
            "help_label": "Écrivez au fonds dans la conversation du dossier",
        }
    return document_progress_context(
        progress,
        what="le récépissé",
        status_url=reverse("depot:receipt-status", args=[dossier.pk]),
        download_url=reverse("depot:receipt", args=[dossier.pk]),
        download_label="Télécharger le récépissé (PDF)",
        **help_link,
    )


@login_required
def submitted(request, pk):
    dossier = get_visible_or_404(
        request.user, pk, visible_dossiers(request.user).select_related("commune", "campaign")
    )
    if dossier.submitted_at is None:
        return redirect("depot:check", pk=dossier.pk)
    progress = receipt_progress(dossier.pk)
    record = submission_record(dossier)
    return render(
        request,
        "depot/submitted.html",
        {
            "title": f"Dossier {dossier.reference} déposé",
            "nav": "dossiers",
            "dossier": dossier,
            "receipt": progress.document,
            "record": record,
            **_receipt_context(request, dossier, progress),
        },
    )


@login_required
def receipt(request, pk):
    """The receipt PDF, only to whoever may see the dossier (never a public URL); while it is being
    made, a page showing its progress (it offers the download once ready)."""
    dossier = get_visible_or_404(request.user, pk)
    context = {"title": f"Récépissé du dossier {dossier.reference}", "dossier": dossier}
    if dossier.submitted_at is None:  # no receipt to wait for
        return render(request, "depot/receipt_pending.html", context, status=404)
    progress = receipt_progress(dossier.pk)
    if progress.state != READY:
        context |= _receipt_context(request, dossier, progress)
        return render(request, "depot/receipt_pending.html", context)
    return private_file(
        progress.document.file,
        content_type="application/pdf",
        as_attachment=False,
        filename=progress.document.download_name(dossier.reference),
    )


@login_required
def receipt_status(request, pk):
    """Where the receipt stands, as JSON (polled by the progress display)."""
    dossier = get_visible_or_404(request.user, pk)
    return document_status_response(
        receipt_progress(dossier.pk),
        what="le récépissé",
        download_url=reverse("depot:receipt", args=[dossier.pk]),
    )
