"""The public pages (no sign-in): the list of the projects the fund supports, a project's page,
the figures, the map, the open data. Thin: the rules are in ``rules.py``, the data is cached and
every request counted against the per-client rate (``cache.py``)."""

from __future__ import annotations

import functools
import math

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from fonds.reporting import scdl

from . import cache, facets, rules
from . import map as public_map
from .forms import FilterForm

PER_PAGE = 20
MAX_PAGE = 100_000
LICENCE = {
    "name": "Licence Ouverte / Open Licence version 2.0",
    "url": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
}


def public_page(view):
    """GET only, rate-limited per client (a 429 page in French)."""

    @require_GET
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if cache.limited(request):
            context = {"title": "Trop de requêtes", "retry_after": 60}
            response = render(request, "public/too_many_requests.html", context, status=429)
            response["Retry-After"] = "60"
            return response
        return view(request, *args, **kwargs)

    return wrapper


def page_number(request) -> int:
    value = request.GET.get("page", "")
    return min(int(value), MAX_PAGE) if value.isdigit() and int(value) > 0 else 1


def filtered(request) -> tuple[FilterForm, dict]:
    """The filter form (on the cached facets) and its valid parameters."""
    form = FilterForm(request.GET, facets=cache.cached("facets", {}, facets.facets))
    return form, form.params()


def list_page(filters: rules.Filters, number: int, per_page: int = PER_PAGE) -> dict:
    """One page of the public list: ``{"count", "number", "pages", "projects"}``."""
    qs = filters.apply(rules.public_dossiers())
    count = qs.count()
    pages = max(1, math.ceil(count / per_page))
    number = min(number, pages)
    start = (number - 1) * per_page
    found = rules.projects(rules.rows(qs.order_by("-reference")[start : start + per_page])) if count else []
    return {"count": count, "number": number, "pages": pages, "projects": found}


def _page_url(params: dict, number: int) -> str:
    return (
        "?" + urlencode({**params, "page": number})
        if number > 1
        else ("?" + urlencode(params) if params else "?")
    )


def _list_body(form, params: dict, number: int) -> str:
    """The list page's body (filters, results, pagination) as HTML: it depends on the query string
    only, so that it is cached whole with its data (the visitor's header is rendered per request)."""
    data = list_page(form.filters(), number)
    number = data["number"]
    context = {
        "form": form,
        "filtered": bool(params),
        "query": urlencode(params),
        **data,
        "previous_url": _page_url(params, number - 1) if number > 1 else "",
        "next_url": _page_url(params, number + 1) if number < data["pages"] else "",
        "start": (number - 1) * PER_PAGE + 1,
        "end": (number - 1) * PER_PAGE + len(data["projects"]),
        "scdl": scdl_available(),
    }
    return render_to_string("public/_list_body.html", context)


@public_page
def project_list(request):
    form, params = filtered(request)
    number = page_number(request)
    body = cache.cached("list", {**params, "page": number}, lambda: _list_body(form, params, number))
    # the body was rendered by the template engine (autoescaped): safe, also when read from a cache
    context = {"title": "Projets soutenus", "section": "list", "body": mark_safe(body)}
    return render(request, "public/list.html", context)


@public_page
def project_detail(request, reference):
    found = cache.cached("project", {"reference": reference}, lambda: rules.project(reference) or "")
    if not found:
        raise Http404("Projet introuvable.")
    return render(request, "public/detail.html", {"title": found.title, "project": found})


BAR_STEP, BAR_MAX = 24, 300


def _bar(index: int, row: dict, widest: int) -> dict:
    """One bar of a chart (SVG coordinates): its label, its length in proportion to the widest."""
    width = round(BAR_MAX * row["projects"] / widest) if widest else 0
    y = index * BAR_STEP
    return {
        "label": row["label"],
        "value": row["projects"],
        "y": y,
        "text_y": y + 15,
        "width": width,
        "value_x": 266 + width,
    }


@public_page
def figures(request):
    data = cache.cached("figures", {}, facets.figures)
    blocks = [
        ("regions", "Par région", "Région", data["regions"]),
        ("pays", "Par pays partenaire", "Pays partenaire", data["countries"]),
        ("campagnes", "Par appel à projets", "Appel à projets", data["campaigns"]),
    ]
    charts = []
    for slug, heading, column, table in blocks:
        widest = max((row["projects"] for row in table), default=0)
        charts.append(
            {
                "slug": slug,
                "heading": heading,
                "column": column,
                "rows": table,
                "bars": [_bar(i, row, widest) for i, row in enumerate(table)],
                "height": BAR_STEP * len(table) + 8,
            }
        )
    return render(
        request,
        "public/figures.html",
        {
            "title": "Les projets soutenus en chiffres",
            "section": "figures",
            "total": data["total"],
            "charts": charts,
        },
    )


def _map_data(filters: rules.Filters) -> dict:
    found, total = public_map.links(filters.apply(rules.public_dossiers()))
    cells = public_map.background()
    return {
        "svg": public_map.svg(found, cells, title_id="carte-titre", desc_id="carte-description"),
        "links": found,
        "total": total,
    }


@public_page
def project_map(request):
    form, params = filtered(request)
    data = cache.cached("map", params, lambda: _map_data(form.filters()))
    context = {
        "title": "Carte des projets soutenus",
        "section": "map",
        "form": form,
        "filtered": bool(params),
        "svg": data["svg"],  # a SafeString built by fonds.public.map.svg, every text escaped
        "links": data["links"],
        "total": data["total"],
        "capped": data["total"] > len(data["links"]),
    }
    return render(request, "public/map.html", context)


def scdl_available() -> bool:
    try:
        scdl.fund_siret()
    except ImproperlyConfigured:
        return False
    return True


@public_page
def open_data(request):
    context = {
        "title": "Données ouvertes des projets soutenus",
        "section": "open-data",
        "licence": LICENCE,
        "api_url": reverse("public-api:projects"),
        "schema_url": reverse("api-schema"),
        "scdl": scdl_available(),
        "fund": settings.FJJ_FUND_NAME,
    }
    return render(request, "public/open_data.html", context)


@public_page
def scdl_file(request):
    """The fund's SCDL « subventions » file of the public projects (streamed, Licence Ouverte 2.0)."""
    if not scdl_available():
        raise Http404("Le fichier SCDL du fonds n'est pas encore publié.")
    response = StreamingHttpResponse(
        scdl.csv_chunks(rules.public_dossiers()), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="fonds-jumelages-jeunesse-subventions-scdl.csv"'
    return response
