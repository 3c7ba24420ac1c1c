"""« Contrôle » dashboard pages (auditors and administrators, read-only).

The page itself computes nothing: it shows a skeleton per block and ``reporting/dashboard.js``
fills each block from its fragment URL (``?partiel=1`` returns the bare HTML fragment). Without
JavaScript, each block is a link to the same URL, which then renders a full page.
"""

from __future__ import annotations

from django import forms
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET
from dsfr.forms import DsfrBaseForm

from fonds.referentiel.models import Campaign

from . import dashboard
from .views import controllers_only


class DashboardFilter(DsfrBaseForm):
    campagne = forms.ModelChoiceField(
        label="Campagne",
        required=False,
        queryset=Campaign.objects.order_by("-year", "-pk"),
        empty_label="Toutes les campagnes",
    )


def _campaign(request) -> tuple[DashboardFilter, Campaign | None]:
    form = DashboardFilter(request.GET or None)
    if request.GET and form.is_valid():
        return form, form.cleaned_data["campagne"]
    return form, None


def _query(campaign) -> str:
    return f"?campagne={campaign.pk}" if campaign else ""


def block_context(slug: str, campaign) -> dict:
    key = dashboard.BLOCKS[slug]
    data = dashboard.figures(key, campaign.pk if campaign else None)
    context = {
        "slug": slug,
        "key": key,
        "title": dashboard.BLOCK_TITLES[slug],
        "data": data,
        "campaign": campaign,
    }
    if key == "statuses":
        top = max((r["count"] for r in data["rows"]), default=0)
        context["bars"] = [(r, dashboard.bar_class(r["count"], top)) for r in data["rows"]]
    elif key == "amounts":
        top = max((r[k] for r in data["regions"] for k in dashboard.AMOUNT_KEYS), default=0)
        context["labels"] = dashboard.AMOUNT_LABELS
        context["bars"] = [
            (
                r,
                [
                    (dashboard.AMOUNT_LABELS[k], k, r[k], dashboard.bar_class(r[k], top))
                    for k in dashboard.AMOUNT_KEYS
                ],
            )
            for r in data["regions"]
        ]
    elif key == "rate":
        context["bar"] = dashboard.bar_class(data["rate"] or 0, 100)
    elif key == "stages":
        top = max((r["median_days"] or 0 for r in data["rows"]), default=0)
        context["bars"] = [(r, dashboard.bar_class(r["median_days"] or 0, top)) for r in data["rows"]]
    elif key == "processing":
        top = max((r["p90"] or 0 for r in data["overall"]), default=0)
        context["bars"] = [
            (r, dashboard.bar_class(r["median"] or 0, top), dashboard.bar_class(r["p90"] or 0, top))
            for r in data["overall"]
        ]
    elif key == "envelopes":
        context["bars"] = [
            (r, dashboard.bar_class(min(r["committed"], r["envelope"]), r["envelope"])) for r in data["rows"]
        ]
    return context


@controllers_only
@require_GET
def dashboard_page(request):
    form, campaign = _campaign(request)
    query = _query(campaign)
    blocks = [
        {"slug": b.slug, "title": b.title, "url": reverse("reporting:dashboard-block", args=[b.slug]) + query}
        for b in dashboard.blocks()
    ]
    return render(
        request,
        "reporting/dashboard.html",
        {
            "title": "Contrôle : tableau de bord",
            "nav": "controle",
            "form": form,
            "campaign": campaign,
            "blocks": blocks,
            "cache_seconds": dashboard.CACHE_SECONDS,
        },
        status=400 if form.errors else 200,
    )


@controllers_only
@require_GET
def dashboard_block(request, slug):
    if slug not in dashboard.BLOCKS:
        raise Http404("Bloc inconnu.")
    form, campaign = _campaign(request)
    if form.errors:
        raise Http404("Campagne introuvable.")
    context = block_context(slug, campaign)
    if request.GET.get("partiel") == "1":
        return render(request, "reporting/dashboard_block.html", context)
    context.update(
        {
            "title": f"Tableau de bord : {context['title']}",
            "nav": "controle",
            "back_url": reverse("reporting:dashboard") + _query(campaign),
        }
    )
    return render(request, "reporting/dashboard_block_page.html", context)
