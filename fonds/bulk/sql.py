"""Multi-row INSERT and UPDATE for the batched paths (``perform_many`` and what it calls).

Django's ``bulk_create`` / ``bulk_update`` compile every value through the query compiler
(expression resolution, ``CASE WHEN`` objects per row and field): for a chunk of 500 dossiers
that is most of the time of a bulk action. These two helpers write the same values — each one
prepared by its model field (``get_db_prep_save``: JSON, datetimes, references) — with plain
parameterised SQL. No signals are sent (neither does ``bulk_create``/``bulk_update``).
"""
from __future__ import annotations

from django.db import connections, router

_MAX_PARAMS = 30000  # below SQLite's 32,766 host parameters and PostgreSQL's 65,535


def _conn(model):
    return connections[router.db_for_write(model)]


def insert_rows(model, field_names: list[str], rows: list[tuple], *, returning: bool = False) -> list:
    """INSERT ``rows`` (tuples of Python values in ``field_names`` order) into ``model``'s table;
    with ``returning``, the new primary keys in row order (``RETURNING``, as ``bulk_create``)."""
    if not rows:
        return []
    conn = _conn(model)
    qn = conn.ops.quote_name
    fields = [model._meta.get_field(name) for name in field_names]
    preps = [f.get_db_prep_save for f in fields]
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    head = f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) VALUES "
    tail = f" RETURNING {qn(model._meta.pk.column)}" if returning else ""
    size = max(1, _MAX_PARAMS // len(fields))
    ids: list = []
    with conn.cursor() as cursor:
        for start in range(0, len(rows), size):
            batch = rows[start:start + size]
            params = [prep(value, conn) for row in batch for prep, value in zip(preps, row)]
            cursor.execute(head + ", ".join([one] * len(batch)) + tail, params)
            if returning:
                ids.extend(row[0] for row in cursor.fetchall())
    return ids


def update_rows(model, changes: dict, *, where: dict | None = None) -> int:
    """UPDATE the rows ``changes`` = ``{pk: {field name: value}}`` (every row the same fields);
    a field with one value for all rows is set directly, the others by ``CASE pk WHEN …``.
    ``where`` = ``{field name: value}`` narrows the rows (e.g. the FSM's ``status = source``).
    Returns the number of rows updated."""
    if not changes:
        return 0
    conn = _conn(model)
    qn = conn.ops.quote_name
    meta = model._meta
    pk_col = qn(meta.pk.column)
    names = list(next(iter(changes.values())))
    fields = {name: meta.get_field(name) for name in names}
    pks = list(changes)
    constant = {n for n in names if len({_key(changes[pk][n]) for pk in pks}) == 1}
    varying = [n for n in names if n not in constant]
    size = max(1, (_MAX_PARAMS - 2 * len(names)) // (2 * len(varying) + 1))
    where = where or {}
    updated = 0
    with conn.cursor() as cursor:
        for start in range(0, len(pks), size):
            batch = pks[start:start + size]
            sets, params = [], []
            for name in names:
                field = fields[name]
                if name in constant:
                    sets.append(f"{qn(field.column)} = %s")
                    params.append(field.get_db_prep_save(changes[batch[0]][name], conn))
                else:
                    cases = " ".join(["WHEN %s THEN %s"] * len(batch))
                    case = f"CASE {pk_col} {cases} END"
                    if conn.features.requires_casted_case_in_updates:  # PostgreSQL: typed, as bulk_update
                        case = f"CAST({case} AS {field.cast_db_type(conn)})"
                    sets.append(f"{qn(field.column)} = {case}")
                    for pk in batch:
                        params.extend((pk, field.get_db_prep_save(changes[pk][name], conn)))
            sql = f"UPDATE {qn(meta.db_table)} SET {', '.join(sets)} WHERE {pk_col} IN ({', '.join(['%s'] * len(batch))})"
            params.extend(batch)
            for name, value in where.items():
                field = meta.get_field(name)
                sql += f" AND {qn(field.column)} = %s"
                params.append(field.get_db_prep_save(value, conn))
            cursor.execute(sql, params)
            updated += cursor.rowcount
    return updated


def _key(value):
    """A hashable stand-in for a value (JSON lists and dicts included)."""
    try:
        hash(value)
        return (type(value), value)
    except TypeError:
        return (type(value), repr(value))
