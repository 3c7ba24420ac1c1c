"""Database-level protection of the audit trail (defence in depth).

Migration ``0004`` installs triggers (PostgreSQL, SQLite) refusing UPDATE, DELETE and TRUNCATE
of the events and any deletion or backward move of the head. They stop mistakes, not a database
administrator: the daily ``verify_audit`` and the head hash logged outside the database do.
``protection_lifted(connection)`` is that bypass, for tampering tests and the test ``flush``.
"""

from __future__ import annotations

from contextlib import contextmanager

EVENT_TABLE = "audit_auditevent"
HEAD_TABLE = "audit_chainhead"
PROTECTED_TABLES = (EVENT_TABLE, HEAD_TABLE)

# Everything below must stay in step with migration 0004 (which keeps its own copy, as migrations do).


def installed_triggers(connection) -> list[str]:
    """Names of the protection triggers present in the database (for checks and tests)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D' "
                "AND tgrelid IN (%s::regclass, %s::regclass) ORDER BY tgname",
                list(PROTECTED_TABLES),
            )
        elif connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN (%s, %s) "
                "ORDER BY name",
                list(PROTECTED_TABLES),
            )
        else:  # pragma: no cover - only PostgreSQL and SQLite are supported
            return []
        return [row[0] for row in cursor.fetchall()]


@contextmanager
def protection_lifted(connection):
    """Disable the append-only triggers for the duration of the block (administrator's bypass).

    PostgreSQL: ``ALTER TABLE … DISABLE TRIGGER USER`` (needs table ownership), re-enabled on exit.
    Inside a transaction the change is transactional: a rollback restores the triggers too.
    SQLite: the triggers are dropped and re-created from their stored definition on exit.
    """
    vendor = connection.vendor
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in PROTECTED_TABLES:
                cursor.execute(f"ALTER TABLE {connection.ops.quote_name(table)} DISABLE TRIGGER USER")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                for table in PROTECTED_TABLES:
                    cursor.execute(f"ALTER TABLE {connection.ops.quote_name(table)} ENABLE TRIGGER USER")
    elif vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN (%s, %s)",
                list(PROTECTED_TABLES),
            )
            saved = cursor.fetchall()
            for name, _sql in saved:
                cursor.execute(f"DROP TRIGGER IF EXISTS {connection.ops.quote_name(name)}")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                for _name, sql in saved:
                    cursor.execute(sql)
    else:  # pragma: no cover
        yield


def is_test_database(connection) -> bool:
    """True when ``connection`` points at the test database Django or pytest-django created."""
    try:
        test_name = connection.creation._get_test_db_name()
    except Exception:  # pragma: no cover - defensive: unknown backend
        return False
    name = connection.settings_dict.get("NAME")
    return bool(name) and name == test_name
