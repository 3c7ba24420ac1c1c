"""Raw reads for the exports (the ORM's per-value conversions cost more than the queries at
100,000 dossiers, docs/benchmarks.md): ``stream(qs, fields)`` and ``raw_chunks(sql, params, n)``
from a streaming cursor, ``send_in(sql, ids)``, ``send_values(qs)`` and ``in_ids(ids)`` (ids as
one array on PostgreSQL), ``pipeline()`` (queries run by the server while Python goes on),
``timestamp(column)`` and ``moment(value)`` (time stamps read as numbers),
``local_date(value)`` (a stored time stamp → the local date, memoised)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import DecimalField, QuerySet
from django.db.models.expressions import RawSQL
from psycopg import Pipeline

_TZ = ZoneInfo(settings.TIME_ZONE)
_UTC = dt.UTC


def _decimal(value):
    if value is None or value.__class__ is Decimal:
        return value
    if value.__class__ is float:
        return Decimal(f"{value:.2f}")
    return Decimal(value).quantize(Decimal("0.01"))


def stream(qs: QuerySet, fields: tuple[str, ...], chunk_size: int = 2000) -> Iterator[list[tuple]]:
    """Chunks of rows of ``qs.values_list(*fields)``; DecimalField columns as 2-place ``Decimal``."""
    values = qs.values_list(*fields)
    sql, params = values.query.sql_with_params()
    decimal_at = []
    for index, name in enumerate(fields):
        model = qs.model
        field = None
        for part in name.split("__"):
            field = model._meta.get_field(part)
            model = field.related_model or model
        if isinstance(field, DecimalField):
            decimal_at.append(index)
    for chunk in raw_chunks(sql, params, chunk_size):
        if decimal_at and connection.vendor != "postgresql":
            fixed = []
            for row in chunk:
                row = list(row)
                for i in decimal_at:
                    row[i] = _decimal(row[i])
                fixed.append(row)
            chunk = fixed
        yield chunk


def raw_chunks(sql: str, params, chunk_size: int) -> Iterator[list[tuple]]:
    """The rows of ``sql`` by chunks from a streaming cursor (server-side on PostgreSQL, which
    needs a transaction for it)."""
    with transaction.atomic() if connection.vendor == "postgresql" else nullcontext():
        cursor = connection.chunked_cursor()
        try:
            cursor.execute(sql, params)
            while chunk := cursor.fetchmany(chunk_size):
                yield chunk
        finally:
            cursor.close()


def send_in(sql: str, ids: list, extra_params: list | None = None) -> Callable[[], list[tuple]]:
    """Execute ``sql`` where ``{in_ids}`` (in ``WHERE x {in_ids}``) tests ``x`` against ``ids``;
    its rows are read by the function returned (inside ``pipeline()`` the server runs it meanwhile).

    PostgreSQL: ``= ANY`` of one array parameter. With 2,000 placeholders the statement was too
    long for psycopg's query cache, and parsing it again for each of the export's queries was a
    quarter of its client CPU; ``= ANY`` is one index scan where ``IN (SELECT unnest(…))`` hashed
    the ids then probed the index once each: a sixth less of the server's time (docs/benchmarks.md,
    issue 19). ``ids`` are distinct.
    """
    if not ids:
        return list
    if connection.vendor == "postgresql":
        return _send(
            sql.format(in_ids=f"= ANY(%s::{_array_type(ids)})"), [*(extra_params or []), _array(ids)]
        )
    placeholders = ", ".join(["%s"] * len(ids))
    return _send(sql.format(in_ids=f"IN ({placeholders})"), [*(extra_params or []), *ids])


def send_values(values: QuerySet) -> Callable[[], list[tuple]]:
    """Execute the ``values_list`` query ``values`` now and return the function that reads its
    rows, like ``send_in``. PostgreSQL: its SQL on a cursor (inside ``pipeline()`` the server runs
    it meanwhile), for columns that need no conversion (text, numbers, ``timestamp()``); elsewhere
    the queryset is read at once."""
    if connection.vendor != "postgresql":
        rows = list(values)
        return lambda: rows
    try:
        query, params = values.query.sql_with_params()
    except EmptyResultSet:  # e.g. ``pk__in=[]``: no rows, no query (as the ORM does)
        return list
    return _send(query, params)


def _send(query: str, params: list) -> Callable[[], list[tuple]]:
    """Execute ``query`` now; the function returned reads its rows and closes the cursor."""
    cursor = connection.cursor()
    cursor.execute(query, params)

    def rows() -> list[tuple]:
        with cursor:
            return cursor.fetchall()

    return rows


@contextmanager
def pipeline():
    """PostgreSQL: the queries executed in this block are sent without waiting for their results
    (psycopg's pipeline mode), so the server runs them while this process does other work; the
    block's end waits for them. No server-side cursor inside; an ``UPDATE``'s row count is not
    known there. Elsewhere (or with a libpq older than 14): each query runs when executed."""
    if connection.vendor != "postgresql" or not Pipeline.is_supported():
        yield
        return
    connection.ensure_connection()
    with connection.connection.pipeline():
        yield


def _unnest(ids: list) -> str:
    """PostgreSQL: the sub-query listing ``ids`` from one array parameter."""
    return f"SELECT unnest(%s::{_array_type(ids)})"


def _array_type(ids: list) -> str:
    return "bigint[]" if isinstance(ids[0], int) else "text[]"


def _array(ids: list):
    """``ids`` as the value of one array parameter: for ids all numbers (or all digits, ids as
    text) the array's literal ``{1,2,3}``, joined in C; psycopg dumps a list element by element in
    Python, 2.2 of the 2.8 ms of CPU of a query on 2,000 ids (docs/benchmarks.md, issue 19)."""
    if all(i.__class__ is int for i in ids) or all(i.__class__ is str and i.isdecimal() for i in ids):
        return "{" + ",".join(map(str, ids)) + "}"
    return list(ids)


def in_ids(ids):
    """``ids`` for an ORM ``field__in=`` filter: on PostgreSQL one array parameter, as in
    ``send_in`` (Django would compile and psycopg parse one placeholder per id: a fifth of the
    status histories' CPU, docs/benchmarks.md); elsewhere, or for a sub-query, ``ids`` itself."""
    if connection.vendor == "postgresql" and isinstance(ids, list) and ids:
        return RawSQL(_unnest(ids), [_array(ids)])
    return ids


def timestamp(column: str):
    """What to select for the time stamp ``column`` read by the thousand: on PostgreSQL its
    seconds since 1970 (read by psycopg's C loader; Django's time-zone loader is Python, a third
    of the status histories' CPU), else the field. ``moment()`` turns either into a date-time."""
    if connection.vendor == "postgresql":
        return RawSQL(f"EXTRACT(EPOCH FROM {column})::float8", [])
    return column


def moment(value) -> dt.datetime:
    """A value selected by ``timestamp()`` as an aware date-time (UTC)."""
    return dt.datetime.fromtimestamp(value, _UTC) if value.__class__ is float else value


def max_local_date(column: str) -> str:
    """SQL for the latest value of a time-stamp column: PostgreSQL gives the local date directly
    (no per-row time-zone conversion in Python); SQLite gives the UTC text (see ``local_date``)."""
    if connection.vendor == "postgresql":
        tz = settings.TIME_ZONE.replace("'", "")
        return f"(MAX({column}) AT TIME ZONE '{tz}')::date"
    return f"MAX({column})"


@lru_cache(maxsize=65536)
def _local_date_of_hour(day: str, hour: int) -> dt.date:
    moment = dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=_UTC)
    return moment.astimezone(_TZ).date()


def local_date(value) -> dt.date | None:
    """A time stamp as read by a raw cursor → its date in the project's time zone."""
    if value is None:
        return None
    if isinstance(value, str):  # SQLite: "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC
        return _local_date_of_hour(value[:10], int(value[11:13]))
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_UTC)
        return value.astimezone(_TZ).date()
    return value
