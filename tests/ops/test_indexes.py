"""PostgreSQL: the unused ``varchar_pattern_ops`` twins of hot columns are dropped by the migrations
(``fonds.ops.indexes``), and the indexes that serve the queries stay."""

import pytest
from django.db import connection

from fonds.ops.indexes import like_indexes

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _indexes(table):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
        return dict(cursor.fetchall())


def test_audit_events_carry_no_like_index_on_action_or_hash():
    assert like_indexes(connection, "audit_auditevent", ["action", "hash"]) == []
    defs = " ".join(_indexes("audit_auditevent").values())
    assert "UNIQUE INDEX" in defs and "(hash)" in defs  # the hash stays unique
    assert "(action)" in defs  # and the action stays indexed


def test_dossiers_carry_no_like_index_on_status_reference_or_commune():
    assert like_indexes(connection, "dossiers_dossier", ["status", "reference", "commune_id"]) == []
    defs = _indexes("dossiers_dossier").values()
    assert any("UNIQUE INDEX" in d and "(reference)" in d for d in defs)


def test_like_indexes_finds_a_pattern_ops_index():
    """The catalogue query the migrations rely on does find such an index (not a test that cannot fail)."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE INDEX fjj_test_title_like ON dossiers_dossier (title varchar_pattern_ops)")
    assert like_indexes(connection, "dossiers_dossier", ["title"]) == ["fjj_test_title_like"]
