"""Database-level protection of the audit trail (defence in depth).

Migration ``0004_append_only_triggers`` installs, on PostgreSQL and on SQLite, triggers that refuse
``UPDATE``, ``DELETE`` (and on PostgreSQL ``TRUNCATE``) of ``audit_auditevent``, refuse deleting the
chain head and refuse moving it backwards or onto an event that does not exist.

These triggers stop mistakes and application bugs; they do not stop someone who owns the tables or
holds database administrator rights: such a person can ``ALTER TABLE … DISABLE TRIGGER``,
``DROP TRIGGER`` or ``SET session_replication_role = replica`` and then rewrite rows. That is why
the chain exists and why ``verify_audit`` runs every day: any change made that way is detected,
unless the whole chain *and* its head were recomputed — which the daily log of the head hash
(see ``fonds.audit.tasks``), kept outside the database, exposes.

``protection_lifted(connection)`` is that administrator's bypass, used deliberately by the tests
that simulate tampering and by the test-database ``flush`` (see ``management/commands/flush.py``).
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
