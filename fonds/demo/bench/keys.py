"""Primary keys handed out in Python, so that a chunk's rows can point at each other before any
is inserted (one ``bulk_create`` per table, no RETURNING); the sequences are moved past them at
the end (``reset_sequences``)."""

from __future__ import annotations

from django.core.management.color import no_style
from django.db import connection
from django.db.models import Max


class Keys:
    def __init__(self):
        self._next: dict[type, int] = {}

    def take(self, model) -> int:
        value = self._next.get(model)
        if value is None:
            value = (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
        self._next[model] = value + 1
        return value

    def models(self) -> list[type]:
        return list(self._next)


def reset_sequences(models) -> None:
    """PostgreSQL: each sequence past the highest key (SQLite needs nothing)."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(models))
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
