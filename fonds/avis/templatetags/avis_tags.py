"""The avis panels other pages include: the instruction page's (every request, one query) and the
committee's agenda item (the answered opinions shared with it, one query)."""

from django import template

from fonds.avis import queries, services

register = template.Library()


@register.inclusion_tag("avis/_instruction_panel.html", takes_context=True)
def avis_instruction_panel(context, dossier):
    rows = list(queries.for_fund(dossier).order_by("-created_at", "-pk"))
    return {
        "dossier": dossier,
        "pending": [a for a in rows if a.status == a.Status.PENDING],
        "given": [a for a in rows if a.status == a.Status.ANSWERED],
        "closed": [a for a in rows if a.status in (a.Status.EXPIRED, a.Status.CANCELLED)],
        "can_ask": services.may_ask(context["request"].user),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("avis/_committee_panel.html")
def avis_committee_panel(dossier):
    return {"shared": list(queries.for_committee(dossier).order_by("answered_at", "pk"))}
