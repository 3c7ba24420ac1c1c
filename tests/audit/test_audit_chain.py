"""Appending: inside a transaction, linear, stored exactly as hashed."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from fonds.audit import chain, checks, scan
from fonds.audit.canonical import GENESIS_HASH, canonical, chain_hash
from fonds.audit.models import AuditEvent, ChainHead
from fonds.audit.queries import events_for

from .conftest import T0, make_events


@pytest.mark.django_db(transaction=True)
def test_append_outside_a_transaction_is_refused():
    with pytest.raises(chain.AuditChainError, match="transaction"):
        chain.append("submit")
    assert AuditEvent.objects.count() == 0


@pytest.mark.django_db
def test_head_row_exists_from_the_start():
    head = ChainHead.objects.get(pk=1)
    assert (head.last_seq, head.last_hash) == (0, GENESIS_HASH)


@pytest.mark.django_db
def test_append_stores_the_canonical_text_it_hashes(user):
    with transaction.atomic():
        event = chain.append(
            "approve",
            actor=user,
            role="comite",
            obj=("dossiers.dossier", 7),
            payload={"montant": Decimal("4500.00"), "motivation": "Projet « exemplaire »"},
            at=T0,
        )
    stored = AuditEvent.objects.get(seq=1)
    expected_body = {
        "seq": 1,
        "at": "2030-02-15T09:00:00.000000Z",
        "actor": {"id": user.pk, "label": user.email, "role": "comite"},
        "action": "approve",
        "object": {"type": "dossiers.dossier", "id": "7"},
        "payload": {"montant": "4500.00", "motivation": "Projet « exemplaire »"},
    }
    assert stored.canonical == canonical(expected_body) == event.canonical
    assert stored.prev_hash == GENESIS_HASH
    assert stored.hash == chain_hash(GENESIS_HASH, stored.canonical)
    assert (stored.actor_id, stored.actor_role, stored.object_type, stored.object_id) == (
        user.pk,
        "comite",
        "dossiers.dossier",
        "7",
    )
    assert stored.created_at == T0
    assert stored.data["payload"]["montant"] == "4500.00"
    head = ChainHead.objects.get(pk=1)
    assert (head.last_seq, head.last_hash) == (1, stored.hash)


@pytest.mark.django_db
def test_model_instance_and_system_actor():
    user_model_instance = ChainHead.objects.get(pk=1)
    with transaction.atomic():
        e1 = chain.append("expire_corrections", obj=user_model_instance, at=T0)
        e2 = chain.append_many(
            [
                {"action": "batch", "actor_label": "celery-beat"},
                {"action": "batch2", "actor": "import-communes"},
            ]
        )
    assert (e1.object_type, e1.object_id) == ("audit.chainhead", "1")
    assert json.loads(e1.canonical)["actor"] == {"id": None, "label": "system", "role": ""}
    assert [json.loads(e.canonical)["actor"]["label"] for e in e2] == ["celery-beat", "import-communes"]


@pytest.mark.django_db
def test_many_appends_form_one_intact_chain(user):
    make_events(60, actor=user)
    with transaction.atomic():
        chain.append_many(
            [{"action": "bulk", "payload": {"i": i}} for i in range(1200)]
        )  # > one INSERT batch
    result = chain.verify()
    assert result.ok, result
    assert result.count == 1260
    rows = list(AuditEvent.objects.order_by("seq").values_list("seq", "prev_hash", "hash"))
    assert [r[0] for r in rows] == list(range(1, 1261))
    assert all(rows[i][1] == rows[i - 1][2] for i in range(1, len(rows)))
    assert result.last_hash == rows[-1][2] == ChainHead.objects.get().last_hash


@pytest.mark.django_db
def test_verify_accepts_rows_from_iter_rows_and_explicit_head(events):
    assert chain.verify(chain.iter_rows(chunk_size=3)).ok
    last = events[-1]
    assert chain.verify(chain.iter_rows(), head=(10, last.hash)).ok
    assert chain.verify(chain.iter_rows(), head=None).ok
    bad = chain.verify(chain.iter_rows(), head=(12, last.hash))
    assert (bad.ok, bad.first_bad_seq) == (False, 11)


@pytest.mark.django_db
def test_a_failed_transaction_leaves_no_event_and_no_gap(user):
    make_events(2)
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        chain.append("submit")
        _ = 1 / 0
    make_events(1, start=2)
    assert list(AuditEvent.objects.values_list("seq", flat=True)) == [1, 2, 3]
    assert chain.verify().ok


@pytest.mark.django_db
def test_invalid_entries_are_refused_before_anything_is_written():
    with transaction.atomic():
        with pytest.raises(ValueError, match="sans fuseau"):
            chain.append("submit", at=dt.datetime(2030, 1, 1))
        with pytest.raises(TypeError, match="flottant"):
            chain.append("submit", payload={"montant": 12.5})
        with pytest.raises(ValueError, match="60 caractères"):
            chain.append("x" * 61)
        with pytest.raises(ValueError, match="obligatoire"):
            chain.append("")
        with pytest.raises(TypeError, match="dictionnaire"):
            chain.append("submit", payload=["a"])
    assert AuditEvent.objects.count() == 0
    assert ChainHead.objects.get().last_seq == 0


@pytest.mark.django_db
def test_events_for_an_object_in_sequence_order(user):
    make_events(8, actor=user)
    assert list(events_for(("dossiers.dossier", 1001)).values_list("seq", flat=True)) == [3, 4]


@pytest.mark.django_db
def test_model_refuses_save_and_delete_of_an_event(events):
    event = AuditEvent.objects.get(seq=3)
    event.action = "other"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        events[0].save()  # instances returned by append are "saved" instances too


@pytest.mark.django_db
def test_head_recreated_only_on_an_empty_trail():
    from fonds.audit.protection import protection_lifted

    with protection_lifted(connection):
        ChainHead.objects.all().delete()
    with transaction.atomic():
        chain.append("first")
    assert ChainHead.objects.get().last_seq == 1
    with protection_lifted(connection):
        ChainHead.objects.all().delete()
    with pytest.raises(chain.AuditChainError, match="tête de chaîne"), transaction.atomic():
        chain.append("second")


def test_verify_uses_one_process_per_core_at_most_four(monkeypatch):
    """``verify_audit``'s default: one process per core available, never more than four."""
    # the cores this process may run on (pid 0), not those of another process
    monkeypatch.setattr(
        chain.os, "sched_getaffinity", lambda pid: set(range(8)) if pid == 0 else {0}, raising=False
    )
    assert chain.default_workers() == 4
    monkeypatch.setattr(chain.os, "sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    assert chain.default_workers() == 3
    monkeypatch.setattr(chain.os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert chain.default_workers() == 1
    monkeypatch.delattr(chain.os, "sched_getaffinity")  # not Linux: the number of cores
    monkeypatch.setattr(chain.os, "cpu_count", lambda: 3)
    assert chain.default_workers() == 3
    monkeypatch.setattr(chain.os, "cpu_count", lambda: None)  # unknown
    assert chain.default_workers() == 1


@pytest.mark.django_db
def test_a_segment_is_walked_from_its_own_first_link_and_an_empty_one_counts_nothing(events):
    """A parallel worker's segment (``prev=None``) starts from its first row's ``prev_hash`` (the
    caller checks that link against the segment before); an empty segment checks nothing."""
    rows = list(chain.normalized(chain.iter_rows()))
    assert checks.walk(rows[3:], start=3, prev=None) == (7, events[-1].hash, None)
    assert checks.walk([], start=3, prev=None) == (0, "", None)


@pytest.mark.django_db
def test_a_signed_in_user_is_recorded_by_id_and_email_not_by_display_name(user):
    """The trail names a person by the address they sign in with; a name they can change is not it."""
    user.first_name, user.last_name = "Inès", "Martin"
    user.save()
    with transaction.atomic():
        event = chain.append("seed", actor=user, role="instructeur")
    assert json.loads(event.canonical)["actor"] == {
        "id": user.pk,
        "label": "instructrice@example.fr",
        "role": "instructeur",
    }


@pytest.mark.django_db
def test_an_anonymous_visitor_is_recorded_as_the_system_not_as_a_user():
    """Only an authenticated user is an actor with an id; an anonymous request's event is the
    system's (or the label given)."""
    from django.contrib.auth.models import AnonymousUser

    with transaction.atomic():
        event = chain.append("seed", actor=AnonymousUser())
    assert event.actor_id is None
    assert json.loads(event.canonical)["actor"] == {"id": None, "label": "system", "role": ""}
    with transaction.atomic():
        event = chain.append("seed", actor=object())  # nothing that says it is a signed-in user
    assert json.loads(event.canonical)["actor"] == {"id": None, "label": "system", "role": ""}


@pytest.mark.django_db
def test_an_intact_trail_is_told_in_the_singular_up_to_one_event():
    make_events(1)
    assert chain.describe(chain.verify()) == "Piste d'audit intègre : 1 événement."
    make_events(1)
    assert chain.describe(chain.verify()) == "Piste d'audit intègre : 2 événements."


@pytest.mark.django_db
def test_verification_asked_for_several_workers_inside_a_transaction_runs_in_one_process(monkeypatch):
    """Forked workers would not see the transaction's events: inside one (or wherever a fork is
    not possible) ``verify(workers=4)`` checks the chain in this process."""
    make_events(30)
    monkeypatch.setattr(scan, "PARALLEL_MIN_EVENTS", 10)

    def no_fork(*args):
        raise AssertionError("verify_parallel called where no fork is possible")

    monkeypatch.setattr(chain, "verify_parallel", no_fork)
    result = chain.verify(workers=4)
    assert (result.ok, result.count) == (True, 30)


@pytest.mark.django_db
def test_an_inline_append_asks_for_pending_events_only_within_the_head_query():
    """Whether events wait for the sequencer (a switch from deferred mode) travels with the
    head's lock: an inline append on a trail without pending events makes no query of its own."""
    with transaction.atomic():
        chain.append("first")
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        chain.append("second")
    pending = [q["sql"] for q in queries.captured_queries if "audit_pendingevent" in q["sql"]]
    assert len(pending) == 1 and pending[0].startswith("SELECT last_seq, last_hash, EXISTS")


@pytest.mark.django_db
def test_verify_of_rows_beyond_the_given_head_names_the_first_one_inserted(events):
    """Rows checked against a head that stops earlier: the first row beyond it is named."""
    result = chain.verify(rows=chain.iter_rows(), head=(8, events[7].hash))  # by name, as pg_dump's check
    assert (result.ok, result.first_bad_seq) == (False, 9)
    assert result.reason == "l'événement n° 9 est au-delà de la tête de chaîne (n° 8) : inséré"


@pytest.mark.django_db
def test_audit_tables_are_the_ones_the_models_declare():
    """The trail's columns (lengths checked by ``append`` before writing) are those of the models:
    no change to ``fonds/audit/models.py`` without its migration."""
    import io

    from django.core.management import call_command

    out = io.StringIO()
    try:
        call_command("makemigrations", "audit", check=True, dry_run=True, stdout=out, verbosity=1)
    except SystemExit:
        pytest.fail(f"fonds/audit/models.py differs from its migrations:\n{out.getvalue()}")


@pytest.mark.django_db
def test_action_of_exactly_60_characters_is_accepted():
    """The action column holds 60 characters: 60 are written, 61 refused (above)."""
    with transaction.atomic():
        event = chain.append("x" * 60)
    assert AuditEvent.objects.get(seq=event.seq).action == "x" * 60


@pytest.mark.django_db
def test_migration_creates_the_head_at_the_genesis_hash():
    """Migration 0003 creates the head a new database starts from: number 0, the genesis hash."""
    import importlib
    from types import SimpleNamespace

    from django.apps import apps

    from fonds.audit.protection import protection_lifted

    migration = importlib.import_module("fonds.audit.migrations.0003_chain_head_row")
    with protection_lifted(connection):
        ChainHead.objects.all().delete()
    migration.create_head(apps, SimpleNamespace(connection=connection))
    head = ChainHead.objects.get()
    assert (head.pk, head.last_seq, head.last_hash) == (1, 0, GENESIS_HASH)


def test_head_handler_does_nothing_before_the_audit_tables_are_migrated():
    """``post_migrate`` with a state that has no audit models yet (migrating back to zero)."""
    from django.db.migrations.state import ProjectState

    from fonds.audit.apps import ensure_chain_head

    assert ensure_chain_head(sender=None, apps=ProjectState().apps) is None


def test_chain_head_reads_as_its_number_and_the_start_of_its_hash():
    assert str(ChainHead(last_seq=7, last_hash="abcdef0123456789" * 4)) == "tête n° 7 (abcdef012345…)"


@pytest.mark.django_db
def test_too_long_action_is_refused_quoting_its_first_80_characters():
    with pytest.raises(ValueError) as refused, transaction.atomic():
        chain.append("a" * 79 + "bc" * 10)
    assert str(refused.value) == f"piste d'audit : « action » dépasse 60 caractères : {'a' * 79 + 'b'!r}"
