"""Rule screens: every number of the règlement edited as a new version — differences shown side
by side before publishing (the publish button checks that the shown differences are the ones
published), a motivation, the choice for dossiers not yet instructed; the what-if of the draft on
a chosen campaign; one version and its differences with the previous one."""

from __future__ import annotations

import hashlib
import json

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods

from fonds.refusals import Refused

from .. import parameters, versions, whatif
from ..forms import RulesForm, WhatIfForm
from .common import area, campaign_or_404, page, read_only

CONFIRM = "Cochez la case pour confirmer la publication."


def fingerprint(params: dict) -> str:
    """What the preview showed: the publish button sends it back, unchanged params only."""
    return hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()


def _render(request, campaign, form, wform, *, changes=None, status=200):
    if not request.is_admin:
        read_only(form)
    return page(
        request,
        "administration/rules.html",
        f"Règles — {campaign.name}",
        campaign=campaign,
        current=campaign.rules,
        form=form,
        wform=wform,
        changes=changes,
        previewed=fingerprint(form.new_params) if changes else "",
        status=status,
    )


@area
@require_http_methods(["GET", "POST"])
def rules_page(request, pk):
    campaign = campaign_or_404(pk)
    current = campaign.rules
    if request.method != "POST":
        form = RulesForm(current=current.params)
        return _render(request, campaign, form, WhatIfForm(initial={"replay_campaign": campaign.pk}))
    action = request.POST.get("action", "preview")
    form = RulesForm(request.POST, current=current.params, publishing=action == "publish")
    wform = WhatIfForm(request.POST)
    if not form.is_valid() or not wform.is_valid():
        return _render(request, campaign, form, wform, status=400)
    changes = parameters.diff(current.params, form.new_params)
    if action == "whatif":
        target = wform.cleaned_data["replay_campaign"] or campaign
        try:
            job = whatif.start(target, form.new_params, by=request.user)
        except Refused as refused:
            messages.error(request, refused.message)
            return _render(request, campaign, form, wform, changes=changes, status=refused.http_status)
        return redirect("administration:whatif", job.pk)
    if action == "publish":
        if request.POST.get("previewed") != fingerprint(form.new_params):
            messages.warning(
                request, "Vérifiez les différences ci-dessous avant de publier la nouvelle version."
            )
            return _render(request, campaign, form, wform, changes=changes, status=400)
        if not request.POST.get("confirm"):
            messages.error(request, CONFIRM)
            return _render(request, campaign, form, wform, changes=changes, status=400)
        try:
            new = versions.publish_version(
                campaign,
                form.new_params,
                by=request.user,
                motivation=form.cleaned_data["motivation"],
                migration=form.cleaned_data["migration"],
            )
        except Refused as refused:
            messages.error(request, refused.message)
            return _render(request, campaign, form, wform, changes=changes, status=refused.http_status)
        messages.success(request, f"La version {new.version} du règlement est publiée.")
        return redirect("administration:version", campaign.pk, new.version)
    if not changes:
        messages.info(request, "Aucune valeur ne change par rapport à la version en vigueur.")
    return _render(request, campaign, form, wform, changes=changes)


@area
@require_GET
def version_page(request, pk, version):
    campaign = campaign_or_404(pk)
    ruleset = campaign.rulesets.select_related("created_by").filter(version=version).first()
    if ruleset is None:
        raise Http404("Version introuvable.")
    previous = campaign.rulesets.filter(version__lt=version).order_by("-version").first()
    changes = parameters.diff(previous.params, ruleset.params) if previous else []
    return page(
        request,
        "administration/version.html",
        f"Règles — {campaign.name} — version {version}",
        campaign=campaign,
        ruleset=ruleset,
        previous=previous,
        changes=changes,
        values=[(p.group, p.label, parameters.flatten(ruleset.params)[p.name]) for p in parameters.PARAMS],
    )
