"""Pagination fast at 100,000 rows: no unbounded ``COUNT(*)``, a number of queries independent of
the page size and number (back-office lists, ``templates/web/_pagination.html``).

``Page(qs, request.GET)`` reads ``taille`` and ``page``; the rows are ``size + 1`` of them (picked
by a pk-only indexed sub-query when ``load`` is given); the count is capped, skipped when known,
or given by the caller (``count``; ``at_least``: more rows than the cap, known without a count).
Subclass for other limits (``sizes``, ``count_cap``, ``row_cap``: a search serves its first rows
only…).

A page past the middle of a selection whose size is known is read from its end: the order
reversed, a small offset from the last row (``page_rows(…, total=)``), so the last page of 20,000
rows reads 50 rows, not 20,050. Both directions give the same rows only if the order is total:
the order must end with the primary key (every list here does), else the page is read forwards.
"""

from __future__ import annotations

from django.db.models import F
from django.db.models.expressions import OrderBy
from django.http import QueryDict


def page_rows(qs, offset: int, limit: int, *, load=None, total: int | None = None):
    """``qs[offset:offset + limit]`` as ONE query whose page of pks is chosen by a pk-only
    sub-query (an index-only scan), the outer query reading just those rows (``load(qs)`` adds
    their joins) in the same order. ``total``: the selection's exact size, when known; past its
    middle, the sub-query reads the order reversed from the end (``from_the_end``)."""
    order = list(qs.query.order_by or qs.model._meta.ordering)
    ordered = qs.order_by(*order)
    window = from_the_end(qs.model, order, offset, limit, total)
    if window is None:
        pks = ordered.values("pk")[offset : offset + limit]
    else:
        pks = ordered.reverse().values("pk")[window[0] : window[1]]
    outer = qs.model._default_manager.filter(pk__in=pks)
    if load is not None:
        outer = load(outer)
    return outer.order_by(*order)


def from_the_end(model, order, offset: int, limit: int, total: int | None) -> tuple[int, int] | None:
    """``(start, stop)`` in the REVERSED order of the rows ``offset`` to ``offset + limit`` when
    they are past the middle of ``total`` rows and ``order`` is total (ends with the pk), else
    ``None`` (read forwards). ``QuerySet.reverse()`` turns ASC NULLS LAST into DESC NULLS FIRST:
    the exact mirror, on PostgreSQL and SQLite."""
    if total is None or offset <= total - offset - limit or not _ends_with_pk(model, order):
        return None
    return max(0, total - offset - limit), max(0, total - offset)


def _ends_with_pk(model, order) -> bool:
    last = order[-1] if order else None
    if isinstance(last, OrderBy):
        last = last.expression
    if isinstance(last, F):
        last = last.name
    return isinstance(last, str) and last.lstrip("-") in ("pk", model._meta.pk.name)


class Page:
    sizes: tuple[int, ...] = (25, 50, 100, 200)
    default_size = 50
    #: rows are counted up to this number, then the list says "more than"
    count_cap = 10_000
    max_page = 10_000
    #: rows past this one are not served (None: every row); pages stop where it falls
    row_cap: int | None = None

    def __init__(
        self,
        qs,
        params,
        *,
        default_size: int | None = None,
        load=None,
        count: int | None = None,
        at_least: int = 0,
    ):
        default_size = default_size or self.default_size
        self.size = _int(params.get("taille"), default_size)
        if self.size not in self.sizes:
            self.size = default_size
        last = self.max_page if self.row_cap is None else min(self.max_page, -(-self.row_cap // self.size))
        self.number = min(max(1, _int(params.get("page"), 1)), last)
        offset = (self.number - 1) * self.size
        window = (
            page_rows(qs, offset, self.size + 1, load=load, total=count)
            if load is not None
            else qs[offset : offset + self.size + 1]
        )
        rows = list(window)
        served = self.size if self.row_cap is None else min(self.size, self.row_cap - offset)
        more = len(rows) > served  # rows past this page, served or not
        self.has_next = more and (self.row_cap is None or offset + served < self.row_cap)
        self.rows = rows[:served]
        self.has_previous = self.number > 1
        self.start = offset + 1 if self.rows else 0
        self.end = offset + len(self.rows)
        cap = max(self.count_cap, offset + served)
        if count is not None:  # already known: exact, no query
            cap, counted = max(cap, count), count
        elif more and (offset + self.size >= self.count_cap or at_least > cap):
            # a deep page, or more rows than the cap already known (``at_least``): no count query
            counted = cap + 1  # a deep page with a next one: "more than" this page's end, no count query
        elif more or (not rows and offset):
            counted = qs.order_by().values("pk")[: cap + 1].count()
        else:
            counted = offset + len(rows)  # the last page: no count query
        self.capped = counted > cap
        self.count = min(counted, cap)
        #: more rows match than the pages serve (``row_cap``): the list says so
        self.cut = self.row_cap is not None and counted > self.row_cap
        served_rows = self.row_cap if self.cut else self.count
        self.num_pages = None if self.capped and not self.cut else max(1, -(-served_rows // self.size))

    def __iter__(self):
        return iter(self.rows)

    @staticmethod
    def _url(querystring: str, number: int) -> str:
        base = QueryDict(querystring, mutable=True)
        base["page"] = str(number)
        return "?" + base.urlencode()

    def links(self, querystring: str) -> list[dict]:
        """Page links around the current one (first, two on each side, last when known), with
        ``{"gap": True}`` where numbers are skipped."""
        numbers = {1, self.number}
        numbers.update(
            n
            for n in range(self.number - 2, self.number + 3)
            if n >= 1
            and (n <= self.number or self.has_next)
            and (self.num_pages is None or n <= self.num_pages)
        )
        if self.num_pages:
            numbers.add(self.num_pages)
        out, last = [], 0
        for n in sorted(numbers):
            if n - last > 1:
                out.append({"gap": True})
            out.append({"number": n, "url": self._url(querystring, n), "current": n == self.number})
            last = n
        return out

    def neighbour_urls(self, querystring: str) -> dict:
        out = {}
        if self.has_previous:
            out["previous"] = self._url(querystring, self.number - 1)
        if self.has_next:
            out["next"] = self._url(querystring, self.number + 1)
        return out


def _int(value, default: int) -> int:
    try:
        return int(value or default)
    except (TypeError, ValueError):
        return default
