"""The instructors' four queues: their selections (``queue_filters``) and their counters in one
query (``queue_counts``), for the queues page and the benchmarks."""

from __future__ import annotations

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Count, OuterRef, Q, Subquery

from fonds.dossiers.access import visible_dossiers
from fonds.dossiers.states import Status as S

from .models import InstructorConflict


def queue_filters(user) -> dict[str, Q]:
    """The four instruction queues as conditions on dossiers (a conflicted commune is not "to take")."""
    conflicts = InstructorConflict.objects.filter(user=user).values("commune_id")
    return {
        "a-prendre": Q(status=S.SUBMITTED) & ~Q(commune_id__in=conflicts),
        "mes-dossiers": Q(status=S.IN_INSTRUCTION, instructor=user),
        "attente-porteur": Q(status=S.CORRECTIONS_REQUESTED, instructor=user),
        "instruits": Q(status=S.INSTRUCTED, instructor=user),
    }


def queue_counts(user) -> dict[str, int]:
    """The four counters (same selections as ``queue_filters``) in ONE query of counts the
    database answers from indexes: "à prendre" = submitted dossiers minus those of the communes
    the instructor declared a link with, counted per declaration (``NOT IN`` would read every
    submitted row); the others on ``(instructor, status)``. Each part is a queryset's SQL, so
    ``visible_dossiers`` applies to all."""
    base = visible_dossiers(user).order_by()
    per_commune = (
        base.filter(commune_id=OuterRef("commune_id"), status=S.SUBMITTED)
        .values("commune_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    parts = {
        "submitted": base.filter(status=S.SUBMITTED),
        "conflicted": (
            "sum",
            InstructorConflict.objects.filter(user=user).order_by().values(n=Subquery(per_commune)),
        ),
        "mes_dossiers": base.filter(status=S.IN_INSTRUCTION, instructor=user),
        "attente_porteur": base.filter(status=S.CORRECTIONS_REQUESTED, instructor=user),
        "instruits": base.filter(status=S.INSTRUCTED, instructor=user),
    }
    counts = _count_many(parts)
    counts = {key: int(value) for key, value in counts.items()}  # PostgreSQL's SUM is a numeric
    return {
        "a_prendre": counts["submitted"] - counts["conflicted"],
        "mes_dossiers": counts["mes_dossiers"],
        "attente_porteur": counts["attente_porteur"],
        "instruits": counts["instruits"],
    }


def _count_many(querysets: dict) -> dict[str, int]:
    """``{name: qs.count()}`` in one round trip (scalar sub-queries; an empty queryset counts 0).
    A value ``("sum", qs)`` gives the sum of ``qs``'s one column instead (0 when no row)."""

    names, selects, params = [], [], []
    result, using = {}, None
    for name, qs in querysets.items():
        total = isinstance(qs, tuple)
        qs = qs[1] if total else qs.values("pk")
        using = using or qs.db
        try:
            sql, qparams = qs.query.sql_with_params()
        except EmptyResultSet:
            result[name] = 0
            continue
        names.append(name)
        alias = f"q{len(names)}"
        column = f"COALESCE(SUM({alias}.n), 0)" if total else "COUNT(*)"
        selects.append(f"(SELECT {column} FROM ({sql}) {alias})")
        params.extend(qparams)
    if names:
        with connections[using].cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(selects), params)
            result.update(zip(names, cursor.fetchone()))
    return result
