"""Campaign screens: the list, one campaign (checklist, versions, links to its rules, grid,
texts and committee composition), clone, adjust, open, extend, top up."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from fonds import clock
from fonds.referentiel.models import Campaign
from fonds.ui.submit import submitted

from .. import campaigns, scoring_grid
from ..forms import CampaignForm, ExtendForm, OpenForm, TopUpForm
from ..models import WhatIfJob
from .common import admin_only, area, campaign_or_404, campaign_url, page


@area
@require_GET
def index(request):
    rows = [
        {"campaign": c, "open": campaigns.is_open(c), "closed": c.closes_at < clock.now()}
        for c in Campaign.objects.order_by("-opens_at", "-pk")[:100]
    ]
    return page(request, "administration/index.html", "Administration du fonds", rows=rows)


def _campaign_page(request, campaign, *, forms=None, status=200):
    is_open = campaigns.is_open(campaign)
    forms = forms or {}
    if request.is_admin:
        if is_open:
            forms.setdefault(
                "extend", ExtendForm(initial={"closes_at": timezone.localtime(campaign.closes_at)})
            )
            forms.setdefault("top_up", TopUpForm(initial={"envelope": campaign.envelope}))
        else:
            forms.setdefault("open", OpenForm())
    checks = campaigns.checklist(campaign)
    return page(
        request,
        "administration/campaign.html",
        campaign.name,
        campaign=campaign,
        is_open=is_open,
        checks=checks,
        committee_dates=[dt.date.fromisoformat(d) for d in campaign.committee_dates or []],
        ready=all(c.ok for c in checks),
        planned=campaign.opens_at > clock.now(),
        versions=campaign.rulesets.select_related("created_by").order_by("-version"),
        grid_locked=scoring_grid.is_locked(campaign),
        jobs=WhatIfJob.objects.filter(campaign=campaign).select_related("created_by")[:10],
        forms=forms,
        status=status,
    )


@area
@require_GET
def campaign_page(request, pk):
    return _campaign_page(request, campaign_or_404(pk))


def _fields(form) -> dict:
    return {name: form.cleaned_data[name] for name in campaigns.FIELDS}


def _campaign_form(request, target, act, *, initial, title, success, **context):
    """The campaign form (clone, adjust) about ``target``: a valid POST runs ``act(target, by=…,
    fields=…, motivation=…)`` and goes to the campaign it returns; ``initial(target)`` fills a new form."""
    if refused := admin_only(request):
        return refused
    if request.method == "POST":
        form = CampaignForm(request.POST)
        answer, status = submitted(
            request,
            form,
            lambda: act(
                target, by=request.user, fields=_fields(form), motivation=form.cleaned_data["motivation"]
            ),
            then=campaign_url,
            success=success,
        )
        if answer:
            return answer
    else:
        form, status = CampaignForm(initial=initial(target)), 200
    return page(request, "administration/campaign_form.html", title, form=form, status=status, **context)


@area
@require_http_methods(["GET", "POST"])
def clone(request, pk):
    source = campaign_or_404(pk)
    title = f"Nouvelle campagne par copie de « {source.name} »"
    return _campaign_form(
        request,
        source,
        campaigns.clone_campaign,
        initial=campaigns.clone_defaults,
        title=title,
        success=lambda c: f"La campagne « {c.name} » a été créée par copie de « {source.name} ».",
        source=source,
    )


def _current_values(campaign) -> dict:
    initial = {name: getattr(campaign, name) for name in campaigns.FIELDS}
    initial["committee_dates"] = "\n".join(
        "/".join(reversed(d.split("-"))) for d in campaign.committee_dates or []
    )
    return initial


@area
@require_http_methods(["GET", "POST"])
def adjust(request, pk):
    campaign = campaign_or_404(pk)
    return _campaign_form(
        request,
        campaign,
        campaigns.adjust_campaign,
        initial=_current_values,
        title=f"Modifier « {campaign.name} »",
        success=lambda c: "La campagne a été modifiée.",
        campaign=campaign,
    )


def _forward(request, pk, form_class, key, act, success):
    campaign = campaign_or_404(pk)
    form = form_class(request.POST)
    answer, status = submitted(request, form, lambda: act(campaign, form), then=campaign_url, success=success)
    return answer or _campaign_page(request, campaign, forms={key: form}, status=status)


def _form_view(form_class, key, act, success: str):
    """A POST view for one of the campaign page's forms whose fields are the service's arguments:
    ``act(campaign, by=user, **cleaned_data)``, then ``success`` shown on the campaign page."""

    @area
    @require_http_methods(["POST"])
    def view(request, pk):
        run = lambda c, f: act(c, by=request.user, **f.cleaned_data)  # noqa: E731
        return _forward(request, pk, form_class, key, run, lambda c: success)

    return view


extend = _form_view(ExtendForm, "extend", campaigns.extend_window, "La clôture des dépôts a été repoussée.")
top_up = _form_view(TopUpForm, "top_up", campaigns.top_up_envelope, "L'enveloppe a été augmentée.")


@area
@require_http_methods(["POST"])
def open_window(request, pk):
    return _forward(
        request,
        pk,
        OpenForm,
        "open",
        lambda c, f: campaigns.open_window(
            c,
            by=request.user,
            motivation=f.cleaned_data["motivation"],
            at_planned_date=request.POST.get("when") == "planned",
        ),
        lambda c: "Les dépôts sont ouverts." if c.is_open() else "Les dépôts ouvriront à la date prévue.",
    )
