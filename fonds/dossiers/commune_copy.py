"""The commune's name and population copied onto each dossier: sort keys of the instructors' list
through an index of the dossier table (a joined sort costs hundreds of ms at 100,000 dossiers).

The database keeps the copies right whatever the write path: triggers copy them on a dossier's
insert or commune change, and pass a commune's new name or population on to its dossiers
(PostgreSQL: PL/pgSQL; SQLite: ``AFTER`` triggers). SQLite drops triggers when a migration rebuilds
the table: ``install`` (idempotent) and ``resync`` run again after every ``migrate``.
"""

from __future__ import annotations

from django.db import connections

COPY_FIELDS = ("commune_name", "commune_population")

PG_INSTALL = [
    """
    CREATE OR REPLACE FUNCTION dossiers_dossier_commune_copy() RETURNS trigger LANGUAGE plpgsql AS $body$
    BEGIN
        SELECT COALESCE(c.name, ''), c.population INTO NEW.commune_name, NEW.commune_population
          FROM referentiel_commune c WHERE c.code = NEW.commune_id;
        IF NOT FOUND THEN
            NEW.commune_name := '';
            NEW.commune_population := NULL;
        END IF;
        RETURN NEW;
    END
    $body$
    """,
    "DROP TRIGGER IF EXISTS dossiers_dossier_commune_copy ON dossiers_dossier",
    """
    CREATE TRIGGER dossiers_dossier_commune_copy
        BEFORE INSERT OR UPDATE OF commune_id, commune_name, commune_population ON dossiers_dossier
        FOR EACH ROW EXECUTE FUNCTION dossiers_dossier_commune_copy()
    """,
    """
    CREATE OR REPLACE FUNCTION referentiel_commune_copy_to_dossiers() RETURNS trigger
    LANGUAGE plpgsql AS $body$
    BEGIN
        UPDATE dossiers_dossier SET commune_name = NEW.name, commune_population = NEW.population
         WHERE commune_id = NEW.code;
        RETURN NULL;
    END
    $body$
    """,
    "DROP TRIGGER IF EXISTS referentiel_commune_copy_to_dossiers ON referentiel_commune",
    """
    CREATE TRIGGER referentiel_commune_copy_to_dossiers
        AFTER UPDATE OF name, population ON referentiel_commune
        FOR EACH ROW WHEN (
            OLD.name IS DISTINCT FROM NEW.name OR OLD.population IS DISTINCT FROM NEW.population
        )
        EXECUTE FUNCTION referentiel_commune_copy_to_dossiers()
    """,
]
PG_REMOVE = [
    "DROP TRIGGER IF EXISTS dossiers_dossier_commune_copy ON dossiers_dossier",
    "DROP TRIGGER IF EXISTS referentiel_commune_copy_to_dossiers ON referentiel_commune",
    "DROP FUNCTION IF EXISTS dossiers_dossier_commune_copy()",
    "DROP FUNCTION IF EXISTS referentiel_commune_copy_to_dossiers()",
]

_SQLITE_NAME = "COALESCE((SELECT name FROM referentiel_commune WHERE code = NEW.commune_id), '')"
_SQLITE_POPULATION = "(SELECT population FROM referentiel_commune WHERE code = NEW.commune_id)"
_SQLITE_DIFFERS = (
    f"NEW.commune_name IS NOT {_SQLITE_NAME} OR NEW.commune_population IS NOT {_SQLITE_POPULATION}"
)
_SQLITE_FIX = (
    f"UPDATE dossiers_dossier SET commune_name = {_SQLITE_NAME}, "
    f"commune_population = {_SQLITE_POPULATION} WHERE id = NEW.id;"
)

SQLITE_INSTALL = [
    f"""
    CREATE TRIGGER IF NOT EXISTS dossiers_dossier_commune_copy_insert AFTER INSERT ON dossiers_dossier
    WHEN {_SQLITE_DIFFERS}
    BEGIN {_SQLITE_FIX} END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS dossiers_dossier_commune_copy_update
    AFTER UPDATE OF commune_id, commune_name, commune_population ON dossiers_dossier
    WHEN {_SQLITE_DIFFERS}
    BEGIN {_SQLITE_FIX} END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS referentiel_commune_copy_to_dossiers
    AFTER UPDATE OF name, population ON referentiel_commune
    WHEN OLD.name IS NOT NEW.name OR OLD.population IS NOT NEW.population
    BEGIN
        UPDATE dossiers_dossier SET commune_name = NEW.name, commune_population = NEW.population
         WHERE commune_id = NEW.code;
    END
    """,
]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS dossiers_dossier_commune_copy_insert",
    "DROP TRIGGER IF EXISTS dossiers_dossier_commune_copy_update",
    "DROP TRIGGER IF EXISTS referentiel_commune_copy_to_dossiers",
]

_NAME_OF = (
    "COALESCE((SELECT c.name FROM referentiel_commune c WHERE c.code = dossiers_dossier.commune_id), '')"
)
_POPULATION_OF = "(SELECT c.population FROM referentiel_commune c WHERE c.code = dossiers_dossier.commune_id)"
RESYNC = f"""
    UPDATE dossiers_dossier
       SET commune_name = {_NAME_OF},
           commune_population = {_POPULATION_OF}
     WHERE commune_name IS DISTINCT FROM {_NAME_OF}
        OR commune_population IS DISTINCT FROM {_POPULATION_OF}
"""


def _statements(vendor: str, *, remove: bool = False) -> list[str]:
    if vendor == "postgresql":
        return PG_REMOVE if remove else PG_INSTALL
    if vendor == "sqlite":
        return SQLITE_REMOVE if remove else SQLITE_INSTALL
    return []


def install(connection) -> None:
    """Create the triggers (idempotent)."""
    with connection.cursor() as cursor:
        for sql in _statements(connection.vendor):
            cursor.execute(sql)


def remove(connection) -> None:
    with connection.cursor() as cursor:
        for sql in _statements(connection.vendor, remove=True):
            cursor.execute(sql)


def resync(connection) -> int:
    """Rewrite the copies that differ from their commune (one UPDATE); returns the rows fixed."""
    sql = RESYNC if connection.vendor == "postgresql" else RESYNC.replace("IS DISTINCT FROM", "IS NOT")
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.rowcount


#: per database: the query counting the triggers and how many there are when installed
_TRIGGER_COUNT = {
    "postgresql": (
        "SELECT count(*) FROM pg_trigger WHERE tgname IN "
        "('dossiers_dossier_commune_copy', 'referentiel_commune_copy_to_dossiers') "
        "AND NOT tgisinternal",
        2,
    ),
    "sqlite": (
        "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN "
        "('dossiers_dossier_commune_copy_insert', 'dossiers_dossier_commune_copy_update', "
        "'referentiel_commune_copy_to_dossiers')",
        3,
    ),
}


def installed(connection) -> bool:
    """Whether the triggers are in place (used by the post-migrate hook and the tests)."""
    if connection.vendor not in _TRIGGER_COUNT:
        return True
    query, expected = _TRIGGER_COUNT[connection.vendor]
    with connection.cursor() as cursor:
        cursor.execute(query)
        return cursor.fetchone()[0] == expected


def ensure(connection) -> bool:
    """Re-install the triggers if a table rebuild dropped them, and fix the copies. Returns
    whether anything had to be done."""
    if connection.vendor not in ("postgresql", "sqlite") or installed(connection):
        return False
    install(connection)
    resync(connection)
    return True


def post_migrate(sender, using="default", **kwargs):
    connection = connections[using]
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        if "dossiers_dossier" not in tables or "referentiel_commune" not in tables:
            return
        columns = {c.name for c in connection.introspection.get_table_description(cursor, "dossiers_dossier")}
    if set(COPY_FIELDS) <= columns:
        ensure(connection)
