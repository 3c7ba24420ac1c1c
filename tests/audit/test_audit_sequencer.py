"""Deferred sequencing: events committed with their change, chained afterwards by one sequencer.

docs/audit.md: the trail stays complete and verifiable, a crash at any point loses nothing and
chains nothing twice, and ``verify_audit`` covers the sequencer's lag.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import DatabaseError, connection, connections, transaction

from fonds.audit import chain, sequencer
from fonds.audit.canonical import chain_hash
from fonds.audit.models import AuditEvent, ChainHead, PendingEvent
from fonds.audit.tasks import sequence_events
from fonds.reporting.audit_export import write_export

from .conftest import T0

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def deferred(settings):
    settings.FJJ_AUDIT_SEQUENCING = "deferred"
    return settings


def stage(n: int, *, start: int = 0, per_transaction: int = 1) -> None:
    """``n`` events in transactions of ``per_transaction`` (one dossier each, T0 + i minutes)."""
    for first in range(start, start + n, per_transaction):
        with transaction.atomic():
            chain.append_many(
                [
                    {
                        "action": "submit",
                        "role": "porteur",
                        "obj": ("dossiers.dossier", 1000 + i),
                        "payload": {"i": i, "motivation": "Échange « été »"},
                        "at": T0 + dt.timedelta(minutes=i),
                    }
                    for i in range(first, min(first + per_transaction, start + n))
                ]
            )


def payload_order() -> list[int]:
    return [json.loads(c)["payload"]["i"] for c in AuditEvent.objects.values_list("canonical", flat=True)]


def test_deferred_append_commits_a_pending_event_and_no_chained_event(deferred):
    with transaction.atomic():
        staged = chain.append("submit", role="porteur", obj=("dossiers.dossier", 7), payload={"n": 1})
    assert isinstance(staged, PendingEvent) and staged.pk is None
    assert AuditEvent.objects.count() == 0
    assert ChainHead.objects.get().last_seq == 0
    pending = PendingEvent.objects.get()
    assert (pending.action, pending.object_type, pending.object_id) == ("submit", "dossiers.dossier", "7")
    assert pending.digest == sequencer.content_digest(pending.body) == staged.digest
    assert pending.data["payload"] == {"n": 1}


def test_the_sequencer_chains_pending_events_in_order_exactly_as_inline(deferred):
    stage(7, per_transaction=3)
    assert sequencer.sequence_pending() == 7
    events = list(AuditEvent.objects.all())
    assert [e.seq for e in events] == list(range(1, 8))
    assert payload_order() == list(range(7))
    for event in events:  # the inline format: canonical text ending with its number, hash chained
        assert event.canonical.endswith(f',"seq":{event.seq}}}')
        assert event.hash == chain_hash(event.prev_hash, event.canonical)
        assert event.created_at == T0 + dt.timedelta(minutes=event.seq - 1)
    assert PendingEvent.objects.count() == 0
    assert ChainHead.objects.get().last_seq == 7
    result = chain.verify()
    assert (result.ok, result.count) == (True, 7)


def test_the_sequencer_takes_at_most_its_batch_per_transaction(deferred):
    stage(5)
    assert sequencer.sequence_pending(limit=2) == 2
    assert (AuditEvent.objects.count(), PendingEvent.objects.count()) == (2, 3)
    assert sequencer.sequence_all(limit=2) == 3
    assert payload_order() == list(range(5))
    assert chain.verify().ok


def test_a_rolled_back_change_leaves_no_pending_event(deferred):
    with pytest.raises(RuntimeError), transaction.atomic():
        chain.append("submit")
        raise RuntimeError("the change fails")
    assert PendingEvent.objects.count() == 0


def test_the_sequencer_runs_in_its_own_transaction(deferred):
    stage(1)
    with pytest.raises(chain.AuditChainError, match="propre transaction"), transaction.atomic():
        sequencer.sequence_pending()


def test_a_crash_before_the_sequencer_commits_loses_nothing_and_doubles_nothing(deferred, monkeypatch):
    stage(6, per_transaction=2)

    def crash():
        raise RuntimeError("séquenceur interrompu entre l'écriture et la validation")

    monkeypatch.setattr(sequencer, "_after_write", crash)
    with pytest.raises(RuntimeError, match="interrompu"):
        sequencer.sequence_pending()
    assert (AuditEvent.objects.count(), PendingEvent.objects.count()) == (0, 6)
    assert ChainHead.objects.get().last_seq == 0
    monkeypatch.undo()
    assert sequencer.sequence_all() == 6
    assert payload_order() == list(range(6))
    assert PendingEvent.objects.count() == 0
    assert chain.verify().ok


def test_inline_append_chains_events_left_pending_first(settings):
    settings.FJJ_AUDIT_SEQUENCING = "deferred"
    stage(3)
    settings.FJJ_AUDIT_SEQUENCING = "inline"
    with transaction.atomic():
        event = chain.append("approve", payload={"i": 3})
    assert event.seq == 4
    assert payload_order() == [0, 1, 2, 3]
    assert PendingEvent.objects.count() == 0
    assert chain.verify().ok


def test_inline_append_chains_every_pending_event_first_beyond_one_batch(settings):
    """More than one sequencer batch left pending (2,001 events): all are chained before the
    inline event."""
    settings.FJJ_AUDIT_SEQUENCING = "deferred"
    with transaction.atomic():
        chain.append_many([{"action": "bulk", "payload": {"i": i}} for i in range(sequencer.BATCH + 1)])
    settings.FJJ_AUDIT_SEQUENCING = "inline"
    with transaction.atomic():
        event = chain.append("approve")
    assert event.seq == sequencer.BATCH + 2
    assert PendingEvent.objects.count() == 0
    assert chain.verify().ok


def test_inline_append_on_an_empty_trail_without_head_chains_pending_events_from_1(settings):
    """The head re-created on an empty trail starts at 0, pending events or not: they become 1..3."""
    from fonds.audit.protection import protection_lifted

    settings.FJJ_AUDIT_SEQUENCING = "deferred"
    stage(3)
    with protection_lifted(connection):
        ChainHead.objects.all().delete()
    settings.FJJ_AUDIT_SEQUENCING = "inline"
    with transaction.atomic():
        event = chain.append("approve", payload={"i": 3})
    assert event.seq == 4
    assert list(AuditEvent.objects.values_list("seq", flat=True)) == [1, 2, 3, 4]
    assert chain.verify().ok


def test_catch_up_chains_what_is_pending_in_deferred_mode_only(settings):
    settings.FJJ_AUDIT_SEQUENCING = "deferred"
    stage(2)
    with transaction.atomic():
        assert sequencer.catch_up() == 0  # never inside a transaction: it would hold the head
    assert sequencer.catch_up() == 2
    assert AuditEvent.objects.count() == 2


def test_an_altered_pending_event_stops_the_sequencer(deferred):
    stage(2)
    with transaction.atomic():
        staged = chain.append("approve", payload={"amount": "100"})
    with connection.cursor() as cursor:  # inserting is allowed: a forged row, its digest unchanged
        cursor.execute(
            "INSERT INTO audit_pendingevent (created_at, actor_id, actor_role, action, object_type, "
            "object_id, body, digest) SELECT created_at, actor_id, actor_role, action, object_type, "
            "object_id, %s, digest FROM audit_pendingevent WHERE action = 'approve'",
            [staged.body.replace('"amount":"100"', '"amount":"100000"')],
        )
    with pytest.raises(chain.AuditChainError, match="altéré"):
        sequencer.sequence_all()
    assert AuditEvent.objects.count() == 0  # the whole batch waits: nothing chained past it
    assert PendingEvent.objects.count() == 4


@pytest.mark.parametrize("sorts", ["before", "after"])
def test_an_altered_pending_event_is_refused_whichever_way_its_digest_sorts(deferred, sorts):
    """The forged body chosen so that its digest sorts before, or after, the stored one: refused."""
    with transaction.atomic():
        staged = chain.append("approve", payload={"amount": "100"})
    forged = next(
        body
        for k in range(1000)
        if (sequencer.content_digest(body := staged.body.replace('"100"', f'"{100000 + k}"')) < staged.digest)
        is (sorts == "before")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_pendingevent (created_at, actor_id, actor_role, action, object_type, "
            "object_id, body, digest) SELECT created_at, actor_id, actor_role, action, object_type, "
            "object_id, %s, digest FROM audit_pendingevent",
            [forged],
        )
    with pytest.raises(chain.AuditChainError, match="altéré"):
        sequencer.sequence_all()
    assert AuditEvent.objects.count() == 0


def test_pending_events_are_never_updated(deferred):
    stage(1)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_pendingevent SET action = 'x'")
    assert PendingEvent.objects.get().action == "submit"


@pytest.mark.postgres
def test_postgres_refuses_deleting_a_pending_event_outside_the_sequencer(deferred):
    stage(1)
    with pytest.raises(DatabaseError, match="ne se supprime"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_pendingevent")
    assert PendingEvent.objects.count() == 1


def test_the_beat_task_chains_what_is_pending(deferred):
    stage(3)
    assert sequence_events() == {"chained": 3, "pending": 0, "oldest_pending_seconds": None}
    assert chain.verify().ok
    assert django_settings.CELERY_BEAT_SCHEDULE["sequence-audit-events"]["task"] == sequence_events.name


def test_the_sequencer_loop_stops_when_told(deferred):
    stage(4)
    batches = []
    calls = iter(range(3))

    def stop():
        return next(calls, None) is None

    assert sequencer.run(interval=0, limit=3, stop=stop, on_batch=batches.append) == 4
    assert batches == [3, 1]
    assert chain.verify().ok


def test_a_sequencer_that_finds_the_pending_events_gone_under_the_head_lock_chains_nothing(
    deferred, monkeypatch
):
    """Two sequencers: both saw pending events, the first chained them while the second waited
    for the head. Once the second holds it, nothing is pending: it reports 0 events chained."""
    stage(1)
    locked = sequencer.lock_head

    def raced(cursor):
        seq, prev, _pending = locked(cursor)
        return seq, prev, False  # what the second sees after the first one's commit

    monkeypatch.setattr(sequencer, "lock_head", raced)
    assert sequencer.sequence_pending() == 0
    assert (AuditEvent.objects.count(), PendingEvent.objects.count()) == (0, 1)


def test_deferred_mode_set_from_the_environment_stages_the_events(settings):
    """``FJJ_AUDIT_SEQUENCING`` comes from the environment: a string made at run time, not the
    literal of the code. ``deferred`` read that way stages the event for the sequencer."""
    settings.FJJ_AUDIT_SEQUENCING = "".join(["defer", "red"])
    with transaction.atomic():
        chain.append("submit", obj=("dossiers.dossier", 1))
    assert (AuditEvent.objects.count(), PendingEvent.objects.count()) == (0, 1)


def test_chaining_everything_pending_goes_on_past_full_batches_of_production_size(deferred):
    """``sequence_all`` runs batch after batch until one is not full; with batches above 256
    events (Python's shared small integers) as in production."""
    stage(650, per_transaction=650)
    assert sequencer.sequence_all(limit=300) == 650
    assert (AuditEvent.objects.count(), PendingEvent.objects.count()) == (650, 0)


def test_lag_threshold_is_a_minute_when_the_setting_is_absent(settings):
    del settings.FJJ_AUDIT_MAX_LAG_SECONDS
    assert sequencer.max_lag_seconds() == 60.0


def test_the_sequencer_loop_without_a_stop_runs_until_its_process_is_interrupted(deferred, monkeypatch):
    class Interrupted(Exception):
        pass

    def interrupted(limit, using):
        raise Interrupted

    monkeypatch.setattr(sequencer, "sequence_pending", interrupted)
    with pytest.raises(Interrupted):
        sequencer.run()


def test_the_sequencer_loop_waits_a_tenth_of_a_second_by_default_when_caught_up(deferred, monkeypatch):
    sleeps = []
    monkeypatch.setattr(sequencer.time, "sleep", sleeps.append)
    calls = iter(range(1))
    assert sequencer.run(stop=lambda: next(calls, None) is None) == 0
    assert sleeps == [0.1]


def test_a_full_batch_beyond_the_small_integers_is_followed_at_once_by_the_next(deferred, monkeypatch):
    """The same rule with a production-sized batch (a count above 256, which Python does not
    share between objects): a full batch never waits."""
    stage(600, per_transaction=600)
    sleeps = []
    monkeypatch.setattr(sequencer.time, "sleep", sleeps.append)
    calls = iter(range(3))
    assert sequencer.run(interval=0.5, limit=300, stop=lambda: next(calls, None) is None) == 600
    assert sleeps == [0.5]  # only after finding nothing


def test_the_sequencer_loop_sleeps_only_when_it_has_caught_up(deferred, monkeypatch):
    """A full batch is followed at once by the next one; the loop waits ``interval`` only when
    less than a batch was left."""
    stage(4)
    sleeps = []
    monkeypatch.setattr(sequencer.time, "sleep", sleeps.append)
    calls = iter(range(3))
    assert sequencer.run(interval=0.5, limit=3, stop=lambda: next(calls, None) is None) == 4
    assert sleeps == [0.5, 0.5]  # after the batch of 1, and after finding nothing


# --- verify_audit covers the lag ------------------------------------------------------------------


def run_verify(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit", *args, "--workers", "1", stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


def test_verify_audit_counts_pending_events(deferred):
    stage(2)
    code, out, _err = run_verify()
    assert code == 0
    assert "Piste d'audit intègre : 0 événement." in out
    assert "2 événements en attente de chaînage, le plus ancien depuis" in out
    sequencer.sequence_all()
    code, out, _err = run_verify()
    assert (code, out.strip()) == (0, "Piste d'audit intègre : 2 événements.")


def test_verify_audit_fails_when_the_sequencer_lags_beyond_the_setting(deferred):
    stage(1)
    deferred.FJJ_AUDIT_MAX_LAG_SECONDS = 30
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=45)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sequencer.clock, "now", lambda: later)
        count, age = sequencer.pending_status()
        code, _out, err = run_verify()
    assert count == 1 and 44 < age < 60
    assert code == 1
    assert "Chaînage en retard : 1 événement en attente de chaînage" in err
    assert "seuil 30 s" in err


def test_verify_audit_passes_at_exactly_the_lag_threshold_and_fails_just_beyond(deferred, monkeypatch):
    """« Waiting longer than » the setting: an event exactly as old as the threshold is not late."""
    deferred.FJJ_AUDIT_MAX_LAG_SECONDS = 30
    for age, expected in ((30.0, 0), (30.1, 1)):
        monkeypatch.setattr(sequencer, "pending_status", lambda using=None, age=age: (1, age))
        code, _out, err = run_verify()
        assert code == expected, age
        assert ("Chaînage en retard" in err) is bool(expected)


def test_health_page_reports_the_sequencer_lag(deferred):
    from fonds.ops.health import check_audit_chain

    stage(2)
    fresh = check_audit_chain()
    assert (fresh["ok"], fresh["pending_events"]) == (True, 2)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=120)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sequencer.clock, "now", lambda: later)
        late = check_audit_chain()
    assert late["ok"] is False and late["oldest_pending_seconds"] > 60
    sequencer.sequence_all()
    assert check_audit_chain()["pending_events"] == 0


# --- the export and its offline verifier do not change --------------------------------------------


def test_deferred_events_export_and_verify_offline_as_before(deferred, tmp_path):
    stage(5, per_transaction=2)
    sequencer.sequence_all()
    path = tmp_path / "piste.jsonl"
    with open(path, "wb") as fileobj:
        write_export(fileobj)
    verifier = Path(django_settings.BASE_DIR) / "scripts" / "verify_audit_export.py"
    done = subprocess.run([sys.executable, str(verifier), str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


# --- PostgreSQL: concurrency and a killed sequencer ------------------------------------------------


@pytest.mark.postgres
def test_an_event_committed_while_the_sequencer_chains_a_later_one_is_not_lost(deferred, monkeypatch):
    """PostgreSQL numbers a pending event when it is written, not when its transaction commits:
    an event numbered before those the sequencer read, committed while it chains them, must stay
    pending for the next batch (only the rows read are removed), never be deleted unchained."""
    written, commit = threading.Event(), threading.Event()
    errors = []

    def slow_writer():
        try:
            with transaction.atomic():
                chain.append("submit", obj=("dossiers.dossier", 1), payload={"i": 1})
                written.set()
                commit.wait(timeout=30)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    writer = threading.Thread(target=slow_writer)
    writer.start()
    assert written.wait(timeout=30)
    stage(1, start=2)  # a later pending number, committed first
    real_write_chained = sequencer.write_chained

    def write_chained_then_let_the_slow_writer_commit(*args, **kwargs):
        outcome = real_write_chained(*args, **kwargs)
        commit.set()
        writer.join(timeout=30)
        return outcome

    monkeypatch.setattr(sequencer, "write_chained", write_chained_then_let_the_slow_writer_commit)
    assert sequencer.sequence_pending() == 1
    assert not errors, errors
    assert PendingEvent.objects.count() == 1  # the slow writer's: still waiting, not deleted
    monkeypatch.setattr(sequencer, "write_chained", real_write_chained)
    assert sequencer.sequence_all() == 1
    assert payload_order() == [2, 1]


@pytest.mark.postgres
def test_concurrent_writers_and_two_sequencers_make_one_linear_chain(deferred):
    writers, per_writer = 4, 40
    stop = threading.Event()
    errors = []

    def write(number):
        try:
            for i in range(per_writer):
                with transaction.atomic():
                    chain.append("concurrent", obj=("bench.writer", number), payload={"i": i})
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    def sequence():
        try:
            while not stop.is_set():
                sequencer.sequence_pending(limit=7)
        except Exception as exc:  # pragma: no cover
            errors.append(exc)
        finally:
            connections.close_all()

    sequencers = [threading.Thread(target=sequence) for _ in range(2)]
    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in sequencers + threads:
        thread.start()
    for thread in threads:
        thread.join()
    stop.set()
    for thread in sequencers:
        thread.join()
    assert not errors, errors
    sequencer.sequence_all()
    total = writers * per_writer
    assert list(AuditEvent.objects.values_list("seq", flat=True)) == list(range(1, total + 1))
    for number in range(writers):  # each writer's events once, in its own order
        mine = AuditEvent.objects.filter(object_type="bench.writer", object_id=str(number))
        assert [json.loads(e.canonical)["payload"]["i"] for e in mine] == list(range(per_writer))
    assert PendingEvent.objects.count() == 0
    assert chain.verify().ok


@pytest.mark.postgres
def test_only_one_sequencer_loop_holds_the_runner_lock(deferred):
    assert sequencer.try_runner_lock()
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [sequencer.RUNNER_LOCK])
            assert cursor.fetchone()[0] is False
        sequencer.release_runner_lock()
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [sequencer.RUNNER_LOCK])
            assert cursor.fetchone()[0] is True
    finally:
        other.close()


@pytest.mark.postgres
def test_a_second_sequencer_loop_waits_a_second_between_tries_for_the_lock(deferred, monkeypatch):
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [sequencer.RUNNER_LOCK])
        sleeps = []
        monkeypatch.setattr(sequencer.time, "sleep", sleeps.append)
        calls = iter(range(2))
        assert sequencer.run(interval=0.1, stop=lambda: next(calls, None) is None) == 0
        assert sleeps == [1.0, 1.0]
    finally:
        other.close()


KILLED_SEQUENCER = """
import sys, time
import django
django.setup()
from fonds.audit import sequencer

def pause():
    print("written", flush=True)
    time.sleep(120)

sequencer._after_write = pause
sequencer.sequence_pending()
"""


def database_url() -> str:
    s = connection.settings_dict
    auth = quote(s["USER"] or "") + (":" + quote(s["PASSWORD"]) if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.mark.postgres
def test_a_sequencer_killed_between_sequencing_and_commit_loses_nothing_doubles_nothing(deferred):
    stage(9, per_transaction=3)
    env = {**os.environ, "FJJ_DATABASE_URL": database_url(), "FJJ_AUDIT_SEQUENCING": "deferred"}
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_SEQUENCER],
        cwd=django_settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = child.stdout.readline()  # the events are inserted, the pending rows deleted: not committed
        assert line.strip() == "written", child.stderr.read()
        assert (AuditEvent.objects.count(), PendingEvent.objects.count()) == (0, 9)
    finally:
        child.kill()
        child.wait(timeout=30)
    connection.close()
    assert sequencer.sequence_all() == 9  # waits for the dead session's lock to go, then chains
    assert payload_order() == list(range(9))
    assert PendingEvent.objects.count() == 0
    result = chain.verify()
    assert (result.ok, result.count) == (True, 9)


def test_audit_sequencer_once_chains_what_is_pending(deferred):
    stage(3)
    out = io.StringIO()
    call_command("audit_sequencer", "--once", stdout=out)
    assert out.getvalue().strip() == "3 événement(s) chaîné(s)."
    assert chain.verify().count == 3


@pytest.mark.postgres
def test_the_audit_sequencer_process_chains_within_seconds_and_stops_on_sigterm(deferred):
    import signal
    import time

    env = {**os.environ, "FJJ_DATABASE_URL": database_url(), "FJJ_AUDIT_SEQUENCING": "deferred"}
    child = subprocess.Popen(
        [sys.executable, "manage.py", "audit_sequencer", "--interval", "0.05"],
        cwd=django_settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout.readline().strip() == "Séquenceur d'audit démarré.", child.stderr.read()
        stage(5)
        deadline = time.monotonic() + 30
        while PendingEvent.objects.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert chain.verify().count == 5
        child.send_signal(signal.SIGTERM)
        out, err = child.communicate(timeout=30)
    finally:
        child.kill()
    assert child.returncode == 0, err
    assert "Séquenceur d'audit arrêté : 5 événement(s) chaîné(s)." in out


def test_lag_of_exactly_the_threshold_is_not_late(settings):
    settings.FJJ_AUDIT_MAX_LAG_SECONDS = 60
    assert chain.describe_lag(1, 5.0) == "1 événement en attente de chaînage, le plus ancien depuis 5.0 s."
    assert chain.describe_lag(1, 60.0) == "1 événement en attente de chaînage, le plus ancien depuis 60.0 s."
    assert chain.describe_lag(2, 60.1).startswith("Chaînage en retard : 2 événements en attente")


def test_the_beat_task_warns_only_beyond_the_lag_threshold(deferred, monkeypatch, caplog):
    import logging

    deferred.FJJ_AUDIT_MAX_LAG_SECONDS = 60
    for age, warned in ((5.0, False), (60.0, False), (60.5, True)):
        monkeypatch.setattr(sequencer, "pending_status", lambda age=age: (1, age))
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="fonds.audit"):
            sequence_events()
        assert any("en retard" in r.getMessage() for r in caplog.records) is warned, age


def test_pending_age_is_never_negative_when_the_clocks_differ(deferred, monkeypatch):
    """The database stamps ``staged_at``; an application clock behind it gives an age of 0, not less."""
    stage(1)
    earlier = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    monkeypatch.setattr(sequencer.clock, "now", lambda: earlier)
    assert sequencer.pending_status() == (1, 0.0)


def test_audit_sequencer_polls_every_tenth_of_a_second_by_default():
    from fonds.audit.management.commands.audit_sequencer import Command

    options = Command().create_parser("manage.py", "audit_sequencer").parse_args([])
    assert (options.interval, options.batch, options.once) == (0.1, sequencer.BATCH, False)


def test_catch_up_in_inline_mode_chains_nothing_and_asks_nothing(settings, django_assert_num_queries):
    settings.FJJ_AUDIT_SEQUENCING = "".join(["in", "line"])  # as read from the environment
    with django_assert_num_queries(0):
        assert sequencer.catch_up() == 0
