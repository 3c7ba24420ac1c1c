"""The countries a partner town may be in: ISO 3166-1 alpha-2 codes (the stored value) with their
French names from django-countries, sorted as a French reader expects. France and the French
overseas territories with an ISO code of their own are left out: a town there is in France."""

from __future__ import annotations

import unicodedata
from functools import cache

from django.utils import translation
from django_countries import countries

#: France and the French overseas territories with an ISO code of their own
FRENCH_CODES = frozenset({"FR", "GF", "GP", "MQ", "RE", "YT", "PM", "BL", "MF", "WF", "PF", "NC", "TF"})


def _sort_key(name: str) -> str:
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()


@cache
def partner_countries() -> tuple[tuple[str, str], ...]:
    """``(code, French name)`` sorted by name, France excluded: the choices of the country select."""
    with translation.override("fr"):
        named = [(c.code, str(c.name)) for c in countries if c.code not in FRENCH_CODES]
    return tuple(sorted(named, key=lambda item: _sort_key(item[1])))


def partner_country_choices() -> list[tuple[str, str]]:
    return [("", "Choisissez un pays"), *partner_countries()]
