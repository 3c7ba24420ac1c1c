"""A list page's selection form applied to a queryset: one filter per field the person filled in,
so that the list, its export and the batch built from it select the same rows."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import QueryDict


def filter_by_fields(qs: QuerySet, data: dict, *, filled=None, bounds=None) -> QuerySet:
    """Filter ``qs`` by a valid form's ``cleaned_data``: ``filled`` maps a field to its ORM lookup,
    applied when the value is truthy (an empty choice selects everything); ``bounds`` maps a
    number field (``amount_min``…) to its lookup, applied when it is not None (0 is a bound)."""
    for field, lookup in (filled or {}).items():
        if data.get(field):
            qs = qs.filter(**{lookup: data[field]})
    for field, lookup in (bounds or {}).items():
        if data.get(field) is not None:
            qs = qs.filter(**{lookup: data[field]})
    return qs


def as_querydict(params) -> QueryDict:
    """A QueryDict from a request's GET or a plain dict (a saved filter, a bulk job's selection)."""
    if isinstance(params, QueryDict):
        return params
    qd = QueryDict(mutable=True)
    for key, value in (params or {}).items():
        if isinstance(value, (list, tuple)):
            qd.setlist(key, [str(v) for v in value])
        elif value is not None:
            qd[key] = str(value)
    return qd
