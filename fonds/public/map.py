"""The map of the communes and their partner towns, as an inline SVG built on the server: no tile,
no script, no third-party request (the content-security policy stays ``'self'``).

Coordinates come from the referential (communes: the COG import; partner towns: as entered); the
projection is equirectangular, scaled by the cosine of the middle latitude. France's shape is drawn
from the commune referential itself: one dot per cell of ``CELL_DEGREES`` holding a commune of
metropolitan France (no outline file is shipped with the application).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.core.cache import cache as default_cache
from django.db.models import Count
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from fonds.referentiel.models import Commune, Zone

from .rules import country_name

WIDTH = 800
MAX_LINKS = 500
CELL_DEGREES = 0.25
#: metropolitan France, always in the frame: (west, south, east, north)
FRANCE = (-5.2, 41.3, 9.6, 51.1)
MARGIN = 0.06
BACKGROUND_KEY = "fjj:public:map-background"


@dataclass(frozen=True)
class Link:
    commune: str
    commune_lat: float
    commune_lon: float
    partner: str
    country: str
    partner_lat: float
    partner_lon: float
    projects: int


def links(qs) -> tuple[list[Link], int]:
    """The commune → partner town links of the public projects ``qs`` with coordinates on both
    ends, most projects first (``MAX_LINKS`` at most), and how many links there are in all."""
    rows = (
        qs.filter(
            commune__latitude__isnull=False,
            commune__longitude__isnull=False,
            jumelage__partner__latitude__isnull=False,
            jumelage__partner__longitude__isnull=False,
        )
        .order_by()
        .values(
            "commune__name",
            "commune__latitude",
            "commune__longitude",
            "jumelage__partner__name",
            "jumelage__partner__country",
            "jumelage__partner__latitude",
            "jumelage__partner__longitude",
        )
        .annotate(projects=Count("pk"))
    )
    found = [
        Link(
            commune=r["commune__name"],
            commune_lat=float(r["commune__latitude"]),
            commune_lon=float(r["commune__longitude"]),
            partner=r["jumelage__partner__name"],
            country=country_name(r["jumelage__partner__country"]),
            partner_lat=float(r["jumelage__partner__latitude"]),
            partner_lon=float(r["jumelage__partner__longitude"]),
            projects=r["projects"],
        )
        for r in rows
    ]
    found.sort(key=lambda link: (-link.projects, link.commune, link.partner))
    return found[:MAX_LINKS], len(found)


def background() -> list[tuple[float, float]]:
    """``(lat, lon)`` of the cells of metropolitan France holding a commune (cached a day)."""
    cells = default_cache.get(BACKGROUND_KEY)
    if cells is None:
        seen = set()
        rows = Commune.objects.filter(zone=Zone.METRO, latitude__isnull=False, longitude__isnull=False)
        for lat, lon in rows.values_list("latitude", "longitude").iterator(chunk_size=5000):
            seen.add((math.floor(float(lat) / CELL_DEGREES), math.floor(float(lon) / CELL_DEGREES)))
        cells = sorted(((i + 0.5) * CELL_DEGREES, (j + 0.5) * CELL_DEGREES) for i, j in seen)
        default_cache.set(BACKGROUND_KEY, cells, 24 * 3600)
    return cells


class Projection:
    """Equirectangular: x = lon·cos(φ₀), y = −lat, fitted to ``WIDTH`` with a margin."""

    def __init__(self, points):
        west, south, east, north = FRANCE
        for lat, lon in points:
            west, east = min(west, lon), max(east, lon)
            south, north = min(south, lat), max(north, lat)
        self.k = math.cos(math.radians((south + north) / 2))
        span_x = max((east - west) * self.k, 1.0)
        span_y = max(north - south, 1.0)
        pad_x, pad_y = span_x * MARGIN, span_y * MARGIN
        self.x0, self.y0 = west * self.k - pad_x, north + pad_y
        self.scale = WIDTH / (span_x + 2 * pad_x)
        self.height = round((span_y + 2 * pad_y) * self.scale)

    def __call__(self, lat: float, lon: float) -> tuple[str, str]:
        x = (lon * self.k - self.x0) * self.scale
        y = (self.y0 - lat) * self.scale
        return f"{x:.1f}", f"{y:.1f}"


def svg(found: list[Link], cells: list[tuple[float, float]], *, title_id: str, desc_id: str) -> SafeString:
    """The map as an ``<svg>`` element (presentation attributes only: no ``style``, CSP-safe)."""
    project = Projection(
        [(link.commune_lat, link.commune_lon) for link in found]
        + [(link.partner_lat, link.partner_lon) for link in found]
    )
    radius = max(0.8, CELL_DEGREES * project.scale * 0.45)
    out = [
        f'<svg viewBox="0 0 {WIDTH} {project.height}" '
        f'class="fjj-public-map" role="img" aria-labelledby="{title_id} {desc_id}" focusable="false">',
        f'<title id="{title_id}">Carte des communes et de leurs villes partenaires</title>',
        f'<desc id="{desc_id}">{len(found)} liaison{"s" if len(found) > 1 else ""} entre une commune '
        "(point bleu) et sa ville partenaire (point rouge). "
        "Le tableau qui suit la carte en donne la liste.</desc>",
        '<g fill="#e3e3fd">',
    ]
    out += [
        f'<circle cx="{x}" cy="{y}" r="{radius:.1f}"/>' for x, y in (project(lat, lon) for lat, lon in cells)
    ]
    out.append('</g><g stroke="#6a6af4" stroke-width="1.2" stroke-opacity="0.7" fill="none">')
    for link in found:
        x1, y1 = project(link.commune_lat, link.commune_lon)
        x2, y2 = project(link.partner_lat, link.partner_lon)
        out.append(f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}"/>')
    out.append('</g><g fill="#000091">')
    communes = {(link.commune, link.commune_lat, link.commune_lon) for link in found}
    for name, lat, lon in sorted(communes):
        x, y = project(lat, lon)
        out.append(f'<circle cx="{x}" cy="{y}" r="3"><title>{escape(name)}</title></circle>')
    out.append('</g><g fill="#e1000f">')
    partners = {(link.partner, link.country, link.partner_lat, link.partner_lon) for link in found}
    for name, country, lat, lon in sorted(partners):
        x, y = project(lat, lon)
        out.append(
            f'<circle cx="{x}" cy="{y}" r="3"><title>{escape(name)} ({escape(country)})</title></circle>'
        )
    out.append("</g></svg>")
    return mark_safe("".join(out))  # noqa: S308 — every text above is escaped, every number formatted
