"""What every page of a draft shares: the edit guard, the error summary, the saved / refused answer
(a redirect, or JSON for an autosave), the step page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from fonds import clock
from fonds.conversation.corrections import open_request
from fonds.dossiers.access import can_create, can_edit, get_visible_or_404, visible_dossiers

from .. import steps as st

AUTOSAVE_HEADER = "HTTP_X_AUTOSAVE"


def is_autosave(request) -> bool:
    return request.META.get(AUTOSAVE_HEADER) == "1"


def porteur_only(request):
    if not can_create(request.user):
        raise PermissionDenied("Cette page est réservée aux porteurs de projet rattachés à une commune.")


# ---- the steps ---------------------------------------------------------------------------------


def guard_editable(request, pk, *, prefetch=True):
    """The dossier if the porteur may edit it, else a redirect to its page with an explanation.
    ``prefetch=False``: without its budget lines and documents (read when needed, if ever)."""
    porteur_only(request)
    queryset = st.dossier_for_steps(visible_dossiers(request.user))
    if not prefetch:
        queryset = queryset.prefetch_related(None)
    dossier = get_visible_or_404(request.user, pk, queryset)
    if not can_edit(request.user, dossier):
        messages.info(
            request,
            f"Le dossier {dossier.reference} est « {dossier.get_status_display()} » : il n'est plus "
            "modifiable.",
        )
        return None, redirect("dossier-detail", pk=dossier.pk)
    return dossier, None


def errors_of(form_or_forms) -> list[dict]:
    """``[{"id", "label", "message"}]`` of every field error, for the error summary."""
    out = []
    for form in form_or_forms:
        if form is None:
            continue
        for name, errors in form.errors.items():
            if name == "__all__":
                out.extend({"id": "", "label": "", "message": e} for e in errors)
                continue
            field = form[name] if name in form.fields else None
            for error in errors:
                out.append(
                    {
                        "id": field.auto_id if field is not None else "",
                        "label": field.label if field is not None else name,
                        "message": error,
                    }
                )
    return out


def model_errors_into(form, exc: ValidationError, mapping: dict | None = None):
    mapping = mapping or {}
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            target = mapping.get(name, name)
            form.add_error(target if target in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def saved_answer(request, dossier, step, *, created=False):
    if is_autosave(request):
        payload = {"saved": True, "saved_at": clock.localnow().strftime("%H:%M")}
        if created:
            payload["url"] = reverse("depot:step", args=[dossier.pk, step.slug])
        return JsonResponse(payload)
    action = request.POST.get("action", "next")
    messages.success(request, f"Étape « {step.title} » enregistrée dans le brouillon {dossier.reference}.")
    if action.startswith("add-"):
        return redirect(
            reverse("depot:step", args=[dossier.pk, step.slug]) + f"?ajout={action[4:]}#{action[4:]}"
        )
    if action == "stay":
        return redirect("depot:step", pk=dossier.pk, step=step.slug)
    following = st.next_step(step.slug)
    if following is None:
        return redirect("depot:check", pk=dossier.pk)
    return redirect("depot:step", pk=dossier.pk, step=following.slug)


def refused_answer(request, errors, render_page):
    if is_autosave(request):
        return JsonResponse(
            {
                "saved": False,
                "errors": errors,
                "message": "Brouillon non enregistré : corrigez les champs signalés.",
            },
            status=422,
        )
    return render_page()


def step_page(request, dossier, step, context, *, status=200):
    states = (
        st.step_states(dossier)
        if dossier is not None
        else [{"step": s, "number": i, "complete": False} for i, s in enumerate(st.STEPS, start=1)]
    )
    number = [s.slug for s in st.STEPS].index(step.slug) + 1
    following = st.next_step(step.slug)
    ctx = {
        "title": f"{step.title} — étape {number} sur {len(st.STEPS)}",
        "nav": "dossiers",
        "dossier": dossier,
        "step": step,
        "number": number,
        "total": len(st.STEPS),
        "next_title": following.title if following else "Vérifier et déposer",
        "states": states,
        "autosave": step.slug != "pieces",
        "correction": open_request(dossier) if dossier is not None else None,
        **context,
    }
    ctx.setdefault("error_summary", [])
    return render(request, f"depot/steps/{step.slug}.html", ctx, status=status)
