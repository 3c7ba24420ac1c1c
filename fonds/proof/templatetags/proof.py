"""``{% complete_dossier_links dossier %}``: the links to the complete dossier's versions the
signed-in user may have (none: nothing is printed). One include, no view changes."""

from django import template
from django.urls import reverse

from fonds.proof.audiences import audiences_for

register = template.Library()


@register.inclusion_tag("proof/_complete_links.html", takes_context=True)
def complete_dossier_links(context, dossier):
    request = context.get("request")
    user = getattr(request, "user", None)
    links = [
        {"audience": audience, "url": reverse(f"proof:complete-{audience.value}", args=[dossier.pk])}
        for audience in (audiences_for(user) if user is not None else [])
    ]
    return {"links": links, "dossier": dossier}
