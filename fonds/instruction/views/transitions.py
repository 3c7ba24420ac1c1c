"""The instructor's transitions of a dossier: corrections requested, instruction completed (their
own forms), the others on one confirmation page (label, motivation, confirm text from the model)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from fonds.dossiers import services as dossier_services
from fonds.dossiers.services import TransitionRefused
from fonds.dossiers.states import Forum
from fonds.ui.forms import TransitionForm
from fonds.ui.submit import submitted

from .. import grid, services
from ..amount import award_bounds, award_refusal, grant_for_dossier
from ..forms import CompleteForm, CorrectionsForm
from .common import dossier_url, instruction_dossier, is_conflicted, staff_area

#: transitions with a page of their own
SPECIFIC_PAGES = {
    "request_corrections": "instruction:corrections",
    "complete_instruction": "instruction:complete",
    "schedule": "comite:schedule",
}


def _allowed(request, dossier, name) -> dict | None:
    actions = services.instruction_actions(dossier, request.user, conflicted=is_conflicted(request, dossier))
    return next((a for a in actions if a["name"] == name), None)


def _performed(request, dossier, form, name, motivation, *, success, data=None):
    """``perform(dossier, name)`` posted by ``form`` (``fonds.ui.submit.submitted``): back to the
    dossier on success, else ``(None, status)`` to show the page again."""
    return submitted(
        request,
        form,
        lambda: dossier_services.perform(
            dossier, name, by=request.user, motivation=motivation(), data=data() if data else None
        ),
        success=success,
        then=dossier_url(dossier),
    )


@staff_area
@require_http_methods(["GET", "POST"])
def request_corrections(request, pk):
    dossier = instruction_dossier(request, pk)
    action = _allowed(request, dossier, "request_corrections")
    days = dossier.rules.params["deadlines"]["corrections_days"]
    form = CorrectionsForm(request.POST or None, days=days)
    if action is None:
        messages.error(
            request, "Vous ne pouvez pas demander de corrections sur ce dossier dans son état actuel."
        )
        status = 409
    else:
        done, status = _performed(
            request,
            dossier,
            form,
            "request_corrections",
            lambda: form.cleaned_data["message"],
            data=lambda: {
                "fields": form.cleaned_data["fields_to_fix"],
                "documents": form.cleaned_data["documents"],
                "deadline": form.cleaned_data["deadline"],
            },
            success=lambda _: (
                f"Corrections demandées ; échéance le {form.cleaned_data['deadline']:%d/%m/%Y}."
            ),
        )
        if done:
            return done
    return render(
        request,
        "instruction/corrections.html",
        {
            "title": "Demander des corrections",
            "nav": "instruction",
            "dossier": dossier,
            "form": form,
            "allowed": action is not None,
            "days": days,
        },
        status=status,
    )


@staff_area
@require_http_methods(["GET", "POST"])
def complete(request, pk):
    dossier = instruction_dossier(request, pk)
    action = _allowed(request, dossier, "complete_instruction")
    params = dossier.rules.params
    result = services.grid_for(dossier, params)
    view = services.eligibility_view(dossier)
    proposal = services.current_proposal(dossier)
    # below the thresholds: unfavourable only
    favourable_refusal = grid.opinion_refusal(grid.FAVOURABLE, result)
    form = CompleteForm(
        request.POST or None, initial={"opinion": result.suggestion}, favourable_refusal=favourable_refusal
    )
    if action is None:
        messages.error(
            request, "Vous ne pouvez pas terminer l'instruction de ce dossier dans son état actuel."
        )
        status = 409
    else:

        def motivation():
            return form.cleaned_data["motivation"].strip()

        done, status = _performed(
            request,
            dossier,
            form,
            "complete_instruction",
            motivation,
            data=lambda: {"opinion": form.cleaned_data["opinion"], "opinion_motivation": motivation()},
            success=lambda _: "Instruction terminée : le dossier est prêt pour le comité.",
        )
        if done:
            return done
    breakdown = grant_for_dossier(dossier, params)
    amount = proposal.amount if proposal else breakdown.grant
    bounds = award_bounds(breakdown)
    return render(
        request,
        "instruction/complete.html",
        {
            "title": "Terminer l'instruction",
            "nav": "instruction",
            "dossier": dossier,
            "form": form,
            "allowed": action is not None,
            "grid": result,
            "eligibility": view,
            "proposal": proposal,
            "amount": amount,
            "bounds": bounds,
            "amount_refusal": award_refusal(amount, bounds, zero_allowed=True),
            "favourable_refusal": favourable_refusal,
            "suggestion_label": grid.OPINION_LABELS.get(result.suggestion or "", ""),
        },
        status=status,
    )


@staff_area
@require_http_methods(["GET", "POST"])
def action(request, pk, name):
    """Confirmation page of the other transitions (label, motivation and confirm text from the model)."""
    if name in SPECIFIC_PAGES:
        return redirect(SPECIFIC_PAGES[name], pk=pk)
    dossier = instruction_dossier(request, pk)
    try:
        meta = dossier_services.transition_meta(name)["custom"]
    except TransitionRefused:
        raise Http404("Action inconnue.") from None
    allowed = _allowed(request, dossier, name) is not None
    form = TransitionForm(request.POST or None, needs_motivation=meta["needs_motivation"])
    if not allowed:
        if Forum.DOSSIER not in meta["forums"]:
            messages.error(request, dossier_services.forum_refusal(name, Forum.DOSSIER).message)
        else:
            messages.error(
                request,
                f"L'action « {meta['label']} » n'est pas possible pour vous sur ce dossier dans son état "
                "actuel.",
            )
        status = 409
    else:

        def said(_):
            dossier.refresh_from_db()
            now = dossier.get_status_display()
            return f"« {meta['label']} » : c'est fait. Le dossier est désormais « {now} »."

        done, status = _performed(
            request, dossier, form, name, lambda: form.cleaned_data["motivation"], success=said
        )
        if done:
            return done
    return render(
        request,
        "instruction/action.html",
        {
            "title": meta["label"],
            "nav": "instruction",
            "dossier": dossier,
            "meta": meta,
            "name": name,
            "form": form,
            "allowed": allowed,
        },
        status=status,
    )
