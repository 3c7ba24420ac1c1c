"""The instructors' lists: the four queues, the filtered list of dossiers and its saved filters."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from fonds.dossiers.access import visible_dossiers
from fonds.dossiers.models import Dossier
from fonds.ui import pagination
from fonds.ui.submit import submitted

from .. import services
from ..filters import REGION_NAMES, filter_dossiers
from ..forms import SaveFilterForm
from ..models import SavedFilter
from ..queues import queue_counts, queue_filters
from ..templatetags.instruction_tags import ROW_FIELDS
from .common import staff_area

PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
#: the list counts matching dossiers up to this number, then says "more than"
COUNT_CAP = 10_000
#: a search counts and shows its first matches up to this number, in the order chosen: each match is
#: re-read to check its text (the trigram index only narrows the candidates), so a page past them
#: would re-read them all, ≈ 1.5 ms a thousand at 160,000 dossiers (docs/benchmarks.md)
SEARCH_COUNT_CAP = 1_000
MAX_PAGE = 100_000
#: the bulk-action endpoint (another module); the list shows its form only once the URL exists
BULK_URL = "instruction:bulk"


QUEUES = {
    "a-prendre": ("À prendre", "Dossiers déposés, en attente d'un instructeur"),
    "mes-dossiers": ("Mes dossiers en instruction", "Dossiers que j'instruis"),
    "attente-porteur": ("En attente de la commune", "Corrections demandées sur mes dossiers"),
    "instruits": ("Instruits", "Mes dossiers instruits, avant le comité"),
}


class Page(pagination.Page):
    """The dossier list's pages (``fonds.ui.pagination``): deep pages allowed (page 500 of 200)."""

    sizes = PAGE_SIZES
    default_size = DEFAULT_PAGE_SIZE
    count_cap = COUNT_CAP
    max_page = MAX_PAGE


class SearchPage(Page):
    """The list's pages when the search box is filled: its first ``SEARCH_COUNT_CAP`` matches,
    counted and shown; past them the list asks for a narrower search or a filter."""

    count_cap = SEARCH_COUNT_CAP
    row_cap = SEARCH_COUNT_CAP


def narrowed(qs) -> tuple:
    """``(qs, n)`` of a search: its matches' pks read once, up to ``SEARCH_COUNT_CAP + 1`` (``n``
    of them). When there are no more, the page sorts those rows only and ``n`` is the count; else
    the selection is kept, known to exceed the cap. The planner cannot know how few a search
    finds nor where they sit in a sort index (« saint etienne » by commune: all under S), and
    would walk that index through most of the table (85 ms at 160,000 dossiers). Few matches
    are read through the trigram index (« saint etienne »: 1.7–2.8 ms); a broad search is read
    from the table up to its 1,001st match (« saint »: 6.4 ms; docs/benchmarks.md)."""
    pks = list(qs.order_by().values_list("pk", flat=True)[: SEARCH_COUNT_CAP + 1])
    if len(pks) > SEARCH_COUNT_CAP:
        return qs, len(pks)
    return Dossier.objects.filter(pk__in=pks).order_by(*qs.query.order_by), len(pks)


def _list_rows(qs):
    """The rows of the dossiers table: its columns only (``instruction_tags.ROW_FIELDS``), as
    named tuples, not models (not the texts and JSON lists of the dossier either)."""
    return qs.values_list(*ROW_FIELDS, named=True)


def _querystring(params, drop=("page",)) -> str:
    qd = params.copy()
    for key in drop:
        qd.pop(key, None)
    return qd.urlencode()


# ---- queues ----------------------------------------------------------------------------------


QUEUE_LIST_PARAMS = {
    "a-prendre": {"status": "submitted", "sort": "submitted"},
    "mes-dossiers": {"status": "in_instruction", "instructor": "me", "sort": "submitted"},
    "attente-porteur": {"status": "corrections_requested", "instructor": "me", "sort": "deadline"},
    "instruits": {"status": "instructed", "instructor": "me", "sort": "-score"},
}


@staff_area
def queues(request):
    key = request.GET.get("file") or "a-prendre"
    if key not in QUEUES:
        key = "a-prendre"
    counts = queue_counts(request.user)
    qs = visible_dossiers(request.user).filter(queue_filters(request.user)[key])
    order = {
        "attente-porteur": ["corrections_due", "pk"],
        "instruits": ["-assessment__score_total", "pk"],
    }.get(key, ["submitted_at", "pk"])
    page = Page(
        qs.order_by(*order),
        request.GET,
        default_size=25,
        load=_list_rows,
        count=counts[key.replace("-", "_")],
    )
    querystring = _querystring(request.GET)
    tabs = [
        {"key": k, "label": label, "help": help_, "count": counts[k.replace("-", "_")], "current": k == key}
        for k, (label, help_) in QUEUES.items()
    ]
    return render(
        request,
        "instruction/queues.html",
        {
            "title": "Files d'instruction",
            "nav": "instruction",
            "tabs": tabs,
            "queue": key,
            "queue_label": QUEUES[key][0],
            "page": page,
            "page_links": page.links(querystring),
            "neighbours": page.neighbour_urls(querystring),
            "list_url": reverse("instruction:list") + "?" + urlencode(QUEUE_LIST_PARAMS[key]),
        },
    )


# ---- the filtered list -----------------------------------------------------------------------


@staff_area
def dossier_list(request):
    qs, form = filter_dossiers(request.user, request.GET)
    querystring = _querystring(request.GET)
    if form.is_valid() and form.cleaned_data.get("q"):
        qs, found = narrowed(qs)
        known = {"count": found} if found <= SEARCH_COUNT_CAP else {"at_least": found}
        page = SearchPage(qs, request.GET, load=_list_rows, **known)
    else:
        page = Page(qs, request.GET, load=_list_rows)
    try:
        bulk_url = reverse(BULK_URL)
    except NoReverseMatch:
        bulk_url = None
    context = {
        "title": "Dossiers à instruire",
        "nav": "instruction",
        "form": form,
        "page": page,
        "page_links": page.links(querystring),
        "neighbours": page.neighbour_urls(querystring),
        "querystring": _querystring(request.GET, drop=("page", "taille")),
        "page_sizes": PAGE_SIZES,
        "saved_filters": list(SavedFilter.objects.filter(user=request.user)),
        "save_form": SaveFilterForm(initial={"querystring": _querystring(request.GET, drop=("page",))}),
        "bulk_url": bulk_url,
        "regions": REGION_NAMES,
    }
    return render(request, "instruction/list.html", context, status=200 if form.is_valid() else 400)


@staff_area
@require_POST
def save_filter(request):
    form = SaveFilterForm(request.POST)
    done, _ = submitted(
        request,
        form,
        lambda: services.save_filter(
            request.user, form.cleaned_data["name"], form.cleaned_data["querystring"]
        ),
        success=lambda saved: f"Filtre « {saved.name} » enregistré.",
        then=lambda saved: (
            reverse("instruction:list") + ("?" + saved.querystring if saved.querystring else "")
        ),
    )
    if done:
        return done
    if not form.is_valid():
        messages.error(request, "Donnez un nom au filtre (80 caractères au plus).")
    return redirect(reverse("instruction:list") + "?" + (request.POST.get("querystring") or ""))


@staff_area
@require_POST
def delete_filter(request, pk):
    services.delete_filter(request.user, pk)
    messages.success(request, "Filtre supprimé.")
    return redirect("instruction:list")
