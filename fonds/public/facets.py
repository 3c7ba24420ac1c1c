"""The choices of the public list's filters, read from the public projects (campaigns, régions,
départements and partner countries that have one), and the totals of the figures page."""

from __future__ import annotations

from django.db.models import Count, Sum

from fonds.referentiel.models import Campaign

from .rules import JsonLength, country_name, public_dossiers, region_name


def facets() -> dict:
    """``{"campaigns", "regions", "departements", "countries"}``: ``[(value, label)]`` each (4 queries)."""
    public = public_dossiers().order_by()
    campaign_ids = public.values_list("campaign_id", flat=True).distinct()
    campaigns = Campaign.objects.filter(pk__in=campaign_ids).order_by("-opens_at").values_list("pk", "name")
    regions = public.values_list("commune__region", flat=True).distinct()
    departements = public.values_list("commune__departement", flat=True).distinct()
    countries = public.values_list("jumelage__partner__country", flat=True).distinct()
    return {
        "campaigns": [(str(pk), name) for pk, name in campaigns],
        "regions": sorted(((r, region_name(r)) for r in regions if r), key=lambda item: item[1]),
        "departements": [(d, d) for d in sorted(d for d in departements if d)],
        "countries": sorted(((c, country_name(c)) for c in countries if c), key=lambda item: item[1]),
    }


def _totals(group_by: str, label) -> list[dict]:
    rows = (
        public_dossiers()
        .order_by()
        .values(group_by)
        .annotate(
            projects=Count("pk"),
            youth=Sum(JsonLength("youth_ages")),
            leaders=Sum(JsonLength("leader_ages")),
            amount=Sum("approved_amount"),
        )
    )
    out = [
        {
            "key": row[group_by] or "",
            "label": label(row[group_by]),
            "projects": row["projects"],
            "youth": row["youth"] or 0,
            "leaders": row["leaders"] or 0,
            "amount": row["amount"] or 0,
        }
        for row in rows
    ]
    return sorted(out, key=lambda r: (-r["projects"], r["label"]))


def figures() -> dict:
    """Totals per région, per partner country and per campaign: projects, young people, leaders,
    amounts awarded (3 queries, then 1 for the campaign names)."""
    names = dict(Campaign.objects.values_list("pk", "name"))
    by_campaign = _totals("campaign_id", lambda pk: names.get(pk, "—"))
    by_region = _totals("commune__region", region_name)
    by_country = _totals("jumelage__partner__country", lambda c: country_name(c) if c else "non renseigné")
    total = {
        "projects": sum(r["projects"] for r in by_campaign),
        "youth": sum(r["youth"] for r in by_campaign),
        "leaders": sum(r["leaders"] for r in by_campaign),
        "amount": sum(r["amount"] for r in by_campaign),
    }
    return {"total": total, "regions": by_region, "countries": by_country, "campaigns": by_campaign}
