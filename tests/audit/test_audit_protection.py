"""The database itself refuses UPDATE/DELETE/TRUNCATE of the trail and moving the head back."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from fonds.audit import chain
from fonds.audit.models import AuditEvent, ChainHead
from fonds.audit.protection import installed_triggers, protection_lifted

from .conftest import make_events

E = "audit_auditevent"
H = "audit_chainhead"


def refused(sql, params=None, match="ajout seul"):
    with pytest.raises(DatabaseError, match=match), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.django_db
def test_triggers_are_installed():
    names = installed_triggers(connection)
    if connection.vendor == "postgresql":
        assert names == [
            "audit_auditevent_append_only",
            "audit_chainhead_guard",
            "audit_chainhead_no_truncate",
        ]
    else:
        assert names == [
            "audit_auditevent_no_delete",
            "audit_auditevent_no_update",
            "audit_chainhead_forward_only",
            "audit_chainhead_no_delete",
        ]


@pytest.mark.django_db
def test_update_and_delete_of_events_are_refused_by_the_database():
    make_events(3)
    refused(f"UPDATE {E} SET action = 'x' WHERE seq = 2")
    refused(f"DELETE FROM {E} WHERE seq = 3")
    refused(f"DELETE FROM {E}")
    with pytest.raises(DatabaseError, match="ajout seul"), transaction.atomic():
        AuditEvent.objects.filter(seq=1).update(action="x")
    with pytest.raises(DatabaseError, match="ajout seul"), transaction.atomic():
        AuditEvent.objects.all()._raw_delete(connection.alias)
    assert AuditEvent.objects.count() == 3
    assert chain.verify().ok


@pytest.mark.django_db
def test_chain_head_cannot_be_deleted_nor_moved_back():
    events = make_events(3)
    refused(f"DELETE FROM {H}", match="ne se supprime pas")
    refused(f"UPDATE {H} SET last_seq = 1, last_hash = %s", [events[0].hash], match="avancer")
    refused(f"UPDATE {H} SET last_seq = 7", match="dernier événement")
    refused(f"UPDATE {H} SET last_seq = 3, last_hash = %s", ["b" * 64], match="dernier événement")
    assert ChainHead.objects.get().last_seq == 3


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgres_trigger_refuses_truncate_and_names_the_operation():
    make_events(2)
    refused(f"TRUNCATE {E}", match="opération TRUNCATE refusée")
    refused(f"UPDATE {E} SET action = 'x'", match="opération UPDATE refusée")
    refused(f"DELETE FROM {E}", match="opération DELETE refusée")
    refused(f"TRUNCATE {H}", match="opération TRUNCATE refusée")
    assert AuditEvent.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgres_dba_bypass_with_replication_role_is_possible_and_detected():
    """What the trigger cannot stop (a superuser), the verification catches."""
    make_events(4)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(f"UPDATE {E} SET action = 'x' WHERE seq = 2")
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")
    result = chain.verify()
    assert (result.ok, result.first_bad_seq) == (False, 2)


@pytest.mark.django_db
def test_protection_lifted_restores_the_triggers():
    before = installed_triggers(connection)
    with protection_lifted(connection):
        assert installed_triggers(connection) == []
    assert installed_triggers(connection) == before


@pytest.mark.django_db(transaction=True)
def test_flush_of_the_test_database_empties_the_trail_and_recreates_the_head():
    with transaction.atomic():
        chain.append("submit")
    call_command("flush", interactive=False, verbosity=0)
    assert AuditEvent.objects.count() == 0
    assert ChainHead.objects.get().last_seq == 0
    assert installed_triggers(connection)
    with transaction.atomic():
        chain.append("submit")
    assert chain.verify().ok


@pytest.mark.django_db
def test_flush_elsewhere_than_a_test_database_needs_purger_audit(monkeypatch):
    import fonds.audit.management.commands.flush as flush_command

    monkeypatch.setattr(flush_command, "is_test_database", lambda connection: False)
    make_events(1)
    with pytest.raises(CommandError, match="--purger-audit"):
        call_command("flush", interactive=False, verbosity=0, stdout=io.StringIO())
    assert AuditEvent.objects.count() == 1


@pytest.mark.django_db
def test_flush_elsewhere_of_a_database_without_an_audit_trail_is_not_refused(monkeypatch):
    import fonds.audit.management.commands.flush as flush_command

    monkeypatch.setattr(flush_command, "is_test_database", lambda connection: False)
    monkeypatch.setattr(flush_command.Command, "_audit_tables_exist", staticmethod(lambda connection: False))
    flushed = []
    monkeypatch.setattr(
        flush_command.DjangoFlushCommand, "handle", lambda self, **options: flushed.append(True)
    )
    call_command("flush", interactive=False, verbosity=0, stdout=io.StringIO())
    assert flushed == [True]


@pytest.mark.django_db
def test_migration_installs_the_pending_events_guard():
    """Migration 0006's own code (the test database was migrated by it once): the guard of the
    pending events is back after it runs."""
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import migrations

    migration = importlib.import_module("fonds.audit.migrations.0006_pending_event").Migration
    install = next(op for op in migration.operations if isinstance(op, migrations.RunPython)).code
    pg = connection.vendor == "postgresql"
    name = "audit_pendingevent_guard" if pg else "audit_pendingevent_no_update"

    def pending_triggers():
        with connection.cursor() as cursor:
            if pg:
                cursor.execute(
                    "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal "
                    "AND tgrelid = 'audit_pendingevent'::regclass"
                )
            else:
                cursor.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                    "AND tbl_name = 'audit_pendingevent'"
                )
            return [row[0] for row in cursor.fetchall()]

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER {name}" + (" ON audit_pendingevent" if pg else ""))
    assert name not in pending_triggers()
    install(apps, SimpleNamespace(connection=connection))
    assert name in pending_triggers()


def test_only_the_test_database_itself_counts_as_one():
    """``flush`` lifts the protection only on the test database: no other name passes for it."""
    from types import SimpleNamespace

    from fonds.audit.protection import is_test_database

    def database(name):
        creation = SimpleNamespace(_get_test_db_name=lambda: "test_fjj")
        return SimpleNamespace(creation=creation, settings_dict={"NAME": name})

    assert is_test_database(database("test_fjj"))
    assert is_test_database(
        database("".join(["test_", "fjj"]))
    )  # a name made at run time: equal, not the same
    assert not is_test_database(database("zfonds"))
    assert not is_test_database(database("fonds"))
    assert not is_test_database(database(""))
