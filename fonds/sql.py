"""Multi-row INSERT and UPDATE for the batched paths (``perform_many`` and what it calls): the
same values as ``bulk_create`` / ``bulk_update`` (prepared by each field), without the query
compiler's per-value cost; no signals. PostgreSQL: one array per column (``UNNEST``) or
``COPY``. Why: docs/stages.md (Bulk SQL) and docs/benchmarks.md."""

from __future__ import annotations

from django.db import connections, router

_MAX_PARAMS = 30000  # below SQLite's 32,766 host parameters and PostgreSQL's 65,535


def _conn(model):
    return connections[router.db_for_write(model)]


def _unnest(conn, fields) -> bool:
    """Whether the rows may travel as column arrays (the conditions of Django's own UNNEST insert)."""
    return conn.vendor == "postgresql" and not any(hasattr(f, "get_placeholder") for f in fields)


def copy_rows(conn, table: str, columns: list[str], rows) -> None:
    """PostgreSQL ``COPY table (columns) FROM STDIN`` of ``rows`` (values already prepared for the
    database): the cheapest way in for rows whose ids are not needed back. Inside the caller's
    transaction; the table's triggers and constraints apply as for an INSERT."""
    qn = conn.ops.quote_name
    with conn.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {qn(table)} ({', '.join(qn(c) for c in columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def _array_type(conn, field) -> str:
    # without the type's parameters (varchar[] rather than varchar(40)[]), as Django does
    return field.db_type(conn).split("(")[0] + "[]"


def insert_rows(model, field_names: list[str], rows: list[tuple], *, returning: bool = False) -> list:
    """INSERT ``rows`` (tuples of Python values in ``field_names`` order) into ``model``'s table;
    with ``returning``, the new primary keys in row order (``RETURNING``, as ``bulk_create``)."""
    if not rows:
        return []
    conn = _conn(model)
    qn = conn.ops.quote_name
    fields = [model._meta.get_field(name) for name in field_names]
    preps = [f.get_db_prep_save for f in fields]
    if len(rows) > 1 and _unnest(conn, fields):
        if not returning:
            copy_rows(
                conn,
                model._meta.db_table,
                [f.column for f in fields],
                ([prep(value, conn) for prep, value in zip(preps, row)] for row in rows),
            )
            return []
        arrays = ", ".join(f"(%s)::{_array_type(conn, f)}" for f in fields)
        sql = (
            f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
            f"SELECT * FROM UNNEST({arrays}) RETURNING {qn(model._meta.pk.column)}"
        )
        params = [[prep(row[i], conn) for row in rows] for i, prep in enumerate(preps)]
        with conn.cursor() as cursor:
            cursor.execute(sql, params)
            return [row[0] for row in cursor.fetchall()]
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    head = f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) VALUES "
    tail = f" RETURNING {qn(model._meta.pk.column)}" if returning else ""
    size = max(1, _MAX_PARAMS // len(fields))
    ids: list = []
    with conn.cursor() as cursor:
        for start in range(0, len(rows), size):
            batch = rows[start : start + size]
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
    if varying and len(pks) > 1 and _unnest(conn, [meta.pk, *(fields[n] for n in varying)]):
        return _update_unnest(conn, model, changes, pks, fields, constant, varying, where)
    updated = 0
    with conn.cursor() as cursor:
        for start in range(0, len(pks), size):
            batch = pks[start : start + size]
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
            placeholders = ", ".join(["%s"] * len(batch))
            sql = f"UPDATE {qn(meta.db_table)} SET {', '.join(sets)} WHERE {pk_col} IN ({placeholders})"
            params.extend(batch)
            for name, value in where.items():
                field = meta.get_field(name)
                sql += f" AND {qn(field.column)} = %s"
                params.append(field.get_db_prep_save(value, conn))
            cursor.execute(sql, params)
            updated += cursor.rowcount
    return updated


def _update_unnest(conn, model, changes, pks, fields, constant, varying, where) -> int:
    """``update_rows`` on PostgreSQL: ``UPDATE … FROM UNNEST(pks, column arrays…)``; ``fields``:
    ``{name: field}`` of the columns set, each varying one read from the array aliased ``v_<column>``."""
    qn = conn.ops.quote_name
    meta = model._meta
    table = qn(meta.db_table)
    sets, params = [], []
    for name, field in fields.items():
        if name in constant:
            sets.append(f"{qn(field.column)} = %s")
            params.append(field.get_db_prep_save(changes[pks[0]][name], conn))
        else:
            sets.append(f"{qn(field.column)} = v.{qn('v_' + field.column)}")
    arrays = [f"(%s)::{_array_type(conn, meta.pk)}"]
    params.append([meta.pk.get_db_prep_save(pk, conn) for pk in pks])
    for name in varying:
        field = fields[name]
        arrays.append(f"(%s)::{_array_type(conn, field)}")
        params.append([field.get_db_prep_save(changes[pk][name], conn) for pk in pks])
    aliases = ", ".join([qn("v_pk")] + [qn("v_" + fields[n].column) for n in varying])
    sql = (
        f"UPDATE {table} SET {', '.join(sets)} FROM UNNEST({', '.join(arrays)}) AS v({aliases}) "
        f"WHERE {table}.{qn(meta.pk.column)} = v.{qn('v_pk')}"
    )
    for name, value in where.items():
        field = meta.get_field(name)
        sql += f" AND {table}.{qn(field.column)} = %s"
        params.append(field.get_db_prep_save(value, conn))
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _key(value):
    """A hashable stand-in for a value (JSON lists and dicts included)."""
    try:
        hash(value)
        return (type(value), value)
    except TypeError:
        return (type(value), repr(value))
