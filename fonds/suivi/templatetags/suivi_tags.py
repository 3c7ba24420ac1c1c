"""Display helpers of the front-office pages after submission."""

from django import template

register = template.Library()


@register.filter
def short_hash(value: str) -> str:
    """The first 12 hexadecimal characters of a SHA-256, for display (the full one in a title)."""
    return (value or "")[:12]
