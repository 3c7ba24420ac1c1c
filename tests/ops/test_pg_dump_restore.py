"""Backups: a `pg_dump` / `pg_restore` round trip gives the same data, and the audit chain verifies.

PostgreSQL only (`make test-services`); uses the client tools pg_dump, pg_restore, createdb, dropdb.
"""

import shutil
import subprocess
import uuid

import psycopg
import pytest
from django.db import connection

from fonds.audit import chain, scan
from fonds.dossiers.services import perform
from tests.factories import make_dossier, make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
TABLES = [
    "dossiers_dossier",
    "audit_auditevent",
    "audit_chainhead",
    "accounts_user",
    "referentiel_commune",
    "dossiers_document",
]


def _libpq_args(settings_dict) -> list[str]:
    args = []
    if settings_dict.get("HOST"):
        args += ["-h", settings_dict["HOST"]]
    if settings_dict.get("PORT"):
        args += ["-p", str(settings_dict["PORT"])]
    args += ["-U", settings_dict.get("USER") or "postgres"]
    return args


def _fingerprint(cursor) -> dict:
    result = {}
    for table in TABLES:
        cursor.execute(
            f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {table} t"
        )  # noqa: S608
        result[table] = cursor.fetchone()
    return result


@pytest.fixture
def restored(tmp_path):
    """A psycopg connection to a new database restored from a pg_dump of the test database."""
    for tool in ("pg_dump", "pg_restore", "createdb", "dropdb"):
        if shutil.which(tool) is None:
            pytest.skip(f"outil PostgreSQL absent : {tool} (paquet Debian postgresql-client)")
    source = connection.settings_dict
    name = f"fjj_restore_{uuid.uuid4().hex[:8]}"
    libpq = _libpq_args(source)
    dump = tmp_path / "fjj.dump"
    subprocess.run(
        ["pg_dump", *libpq, "-Fc", "-f", str(dump), source["NAME"]],
        check=True,
        capture_output=True,
        timeout=300,
    )
    subprocess.run(["createdb", *libpq, name], check=True, capture_output=True, timeout=60)
    conn = None
    try:
        subprocess.run(
            ["pg_restore", *libpq, "--no-owner", "--exit-on-error", "-d", name, str(dump)],
            check=True,
            capture_output=True,
            timeout=300,
        )
        conn = psycopg.connect(
            host=source.get("HOST") or None,
            port=source.get("PORT") or None,
            user=source.get("USER") or "postgres",
            password=source.get("PASSWORD") or None,
            dbname=name,
        )
        yield conn
    finally:
        if conn is not None:
            conn.close()
        subprocess.run(["dropdb", *libpq, "--if-exists", name], capture_output=True, timeout=60)


@pytest.fixture
def some_history():
    instructor = make_user("instructeur")
    for _ in range(3):
        dossier = make_dossier()
        perform(dossier, "submit", by=dossier.created_by)
        perform(dossier, "start_instruction", by=instructor)
    return chain.verify()


def test_pg_dump_restore_round_trip_same_data_and_chain_verifies(some_history, restored):
    assert some_history.ok and some_history.count >= 6
    with connection.cursor() as cursor:
        before = _fingerprint(cursor)
    with restored.cursor() as cursor:
        after = _fingerprint(cursor)
        cursor.execute(scan.select_sql("postgresql", "TRUE"))
        rows = cursor.fetchall()
        cursor.execute("SELECT last_seq, last_hash FROM audit_chainhead WHERE id = 1")
        head = cursor.fetchone()
    assert after == before
    result = chain.verify(rows=rows, head=head)  # the restored events against the restored head
    assert result.ok and result.count == some_history.count and result.last_hash == some_history.last_hash


def test_restored_database_keeps_the_append_only_triggers(some_history, restored):
    with pytest.raises(psycopg.errors.Error):
        with restored.cursor() as cursor:
            cursor.execute("UPDATE audit_auditevent SET action = 'forged' WHERE seq = 1")
    restored.rollback()
