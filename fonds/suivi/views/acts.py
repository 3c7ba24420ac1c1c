"""The porteur's answers: the corrections asked for, the withdrawal, the renunciation."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from fonds.conversation.forms import ResubmitForm
from fonds.conversation.items import correction_items
from fonds.dossiers import services
from fonds.dossiers.states import Status
from fonds.payments.hooks import renunciation_refusal
from fonds.ui.forms import errors_summary
from fonds.ui.submit import submitted

from .. import forms as f
from .common import allowed_actions, dossier_of

# ---- 5. corrections -----------------------------------------------------------------------------


#: the success messages of the porteur's motivated acts (``{reference}``: the dossier's)
RESUBMITTED = (
    "Votre dossier corrigé a été renvoyé à l'instructeur. Vous serez informé de la suite par courriel."
)
WITHDRAWN = "Le dossier {reference} est retiré."
RENOUNCED = (
    "La renonciation est enregistrée : la subvention du dossier {reference} revient à l'enveloppe du "
    "fonds. Un accusé de réception vous est envoyé par courriel."
)


def motivated_act(request, form, dossier, name: str, field: str, *, success: str):
    """The porteur's act ``name`` on ``dossier``, motivated by ``form.cleaned_data[field]``, through
    ``submitted`` (a refusal on the form); back to the dossier's page with ``success`` (formatted
    with the dossier's ``reference``)."""
    return submitted(
        request,
        form,
        lambda: services.perform(dossier, name, by=request.user, motivation=form.cleaned_data[field]),
        success=lambda _: success.format(reference=dossier.reference),
        then=reverse("suivi:dossier", args=[dossier.pk]),
        refusal_on_form=True,
    )


def motivated_page(request, dossier, form, allowed: bool, name: str, *, success, template, title, **context):
    """The page of a motivated act (``form.cleaned_data["motivation"]``): the form (409 when the
    porteur may not act now), or the dossier's page once done; ``context`` adds to the page's."""
    status = 409
    if allowed:
        done, status = motivated_act(request, form, dossier, name, "motivation", success=success)
        if done:
            return done
    context = {
        "title": title,
        "nav": "dossiers",
        "dossier": dossier,
        "form": form,
        "allowed": allowed,
        "errors": errors_summary(form) if form.is_bound else [],
        **context,
    }
    return render(request, template, context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def corrections(request, pk):
    dossier = dossier_of(request, pk)
    request_ = (
        dossier.correction_requests.select_related("requested_by").order_by("-created_at", "-pk").first()
    )
    if request_ is None:
        raise Http404("Aucune demande de corrections pour ce dossier.")
    allowed = "resubmit" in allowed_actions(dossier, request.user)
    form = ResubmitForm(request.POST or None)
    status = 200
    if allowed:
        done, status = motivated_act(request, form, dossier, "resubmit", "message", success=RESUBMITTED)
        if done:
            return done
    elif request.method == "POST":
        messages.error(
            request, "Le dossier ne peut pas être renvoyé : il n'attend pas de corrections de votre part."
        )
        status = 409
    fields, documents = correction_items(dossier, request_)
    context = {
        "title": "Demande de corrections",
        "nav": "dossiers",
        "dossier": dossier,
        "request_": request_,
        "fields": fields,
        "documents": documents,
        "form": form,
        "allowed": allowed,
        "errors": errors_summary(form) if form.is_bound else [],
        "editable": dossier.status == Status.CORRECTIONS_REQUESTED,
    }
    return render(request, "suivi/corrections.html", context, status=status)


# ---- 6. withdrawal --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def withdraw(request, pk):
    dossier = dossier_of(request, pk)
    allowed = "withdraw" in allowed_actions(dossier, request.user)
    return motivated_page(
        request,
        dossier,
        f.WithdrawForm(request.POST or None),
        allowed,
        "withdraw",
        success=WITHDRAWN,
        template="suivi/withdraw.html",
        title="Retirer le dossier",
    )


# ---- 6 bis. renunciation (until the advance is paid) ------------------------------------------


def renunciation_state(dossier, user) -> tuple[bool, str]:
    """``(allowed, why not)``: the porteur may renounce while the dossier is approved or its
    convention accepted, until the advance leaves for the bank (``fonds.payments.hooks``)."""

    if "renounce" not in allowed_actions(dossier, user):
        return False, ""
    refusal = renunciation_refusal(dossier)
    return not refusal, refusal


@login_required
@require_http_methods(["GET", "POST"])
def renounce(request, pk):
    """The mayor renounces the award: motivation required, explicit confirmation; the money
    returns to the envelope (the waiting list is promoted) and the decision is final."""
    dossier = dossier_of(request, pk)
    allowed, refusal = renunciation_state(dossier, request.user)
    return motivated_page(
        request,
        dossier,
        f.RenounceForm(request.POST or None),
        allowed,
        "renounce",
        success=RENOUNCED,
        template="suivi/renounce.html",
        title="Renoncer à la subvention",
        refusal=refusal,
    )
