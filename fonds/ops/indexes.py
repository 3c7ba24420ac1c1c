"""Index housekeeping for migrations.

On PostgreSQL Django twins every indexed text column with a ``…_like`` pattern-ops index that
only costs where no ``LIKE 'prefix%'`` query runs. ``drop_like_indexes`` drops the twins of the
given columns (found in the catalogue: Django's names carry a hash); a later ``AlterField``
still migrates (Django drops them ``IF EXISTS``).
"""

from __future__ import annotations


def like_indexes(connection, table: str, columns: list[str]) -> list[str]:
    """Names of the pattern-ops indexes on exactly one of ``columns`` of ``table``."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.relname
              FROM pg_index x
              JOIN pg_class i ON i.oid = x.indexrelid
              JOIN pg_class t ON t.oid = x.indrelid
              JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0]
              JOIN pg_opclass o ON o.oid = x.indclass[0]
             WHERE t.relname = %s AND x.indnatts = 1 AND a.attname = ANY(%s)
               AND o.opcname IN ('varchar_pattern_ops', 'text_pattern_ops')
               AND pg_table_is_visible(t.oid)
            """,
            [table, list(columns)],
        )
        return sorted(row[0] for row in cursor.fetchall())


def drop_like_indexes(schema_editor, table: str, columns: list[str]) -> list[str]:
    """Drop the ``_like`` twins of ``columns`` on PostgreSQL (nothing elsewhere). Returns their names."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return []
    names = like_indexes(connection, table, columns)
    for name in names:
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")
    return names
