"""Display helpers of the front-office pages after submission."""
from django import template

from fonds.eligibilite.rules import euros as _euros

register = template.Library()


@register.filter
def euros(value) -> str:
    """``15 000 €``, ``4 252,50 €`` (French, non-breaking spaces); "—" when empty."""
    if value is None or value == "":
        return "—"
    try:
        return _euros(value)
    except Exception:
        return str(value)


@register.filter
def short_hash(value: str) -> str:
    """The first 12 hexadecimal characters of a SHA-256, for display (the full one in a title)."""
    return (value or "")[:12]
