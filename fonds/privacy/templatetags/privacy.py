"""``{% may_see_minors_data dossier as show_ages %}``: the privacy rule (``fonds.privacy.access``)
for the user of the page, so that every template showing participants asks the same question."""

from django import template

from fonds.privacy import access

register = template.Library()


@register.simple_tag(takes_context=True)
def may_see_minors_data(context, dossier) -> bool:
    request = context.get("request")
    return request is not None and access.may_see_minors_data(request.user, dossier)
