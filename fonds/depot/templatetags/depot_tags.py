"""Template filters of the front office."""
from django import template

from fonds.eligibilite.rules import euros as _euros

register = template.Library()


@register.filter
def euros(value) -> str:
    """``7 800,50 €`` / ``15 000 €`` (non-breaking spaces); ``—`` for an empty value."""
    if value is None or value == "":
        return "—"
    return _euros(value)
