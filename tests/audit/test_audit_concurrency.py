"""Concurrent writers on PostgreSQL: one linear chain."""

import threading
import time
from types import SimpleNamespace

import pytest
from django.db import OperationalError, connection, connections, transaction

from fonds.audit import chain, scan
from fonds.audit.canonical import chain_hash
from fonds.audit.models import AuditEvent
from fonds.audit.protection import protection_lifted

from .conftest import forge, rehash, tamper

WRITERS = 4
PER_WRITER = 60


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_concurrent_writers_produce_one_linear_verifiable_chain():
    barrier = threading.Barrier(WRITERS)
    errors = []

    def writer(number):
        try:
            barrier.wait()
            for i in range(PER_WRITER):
                with transaction.atomic():
                    chain.append(
                        "concurrent", role="instructeur", obj=("bench.writer", number), payload={"i": i}
                    )
                if i % 10 == 0:
                    with transaction.atomic():
                        chain.append_many(
                            [{"action": "concurrent_batch", "payload": {"i": i, "k": k}} for k in range(3)]
                        )
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    total = WRITERS * (PER_WRITER + 3 * (PER_WRITER // 10))
    assert list(AuditEvent.objects.values_list("seq", flat=True)) == list(range(1, total + 1))
    for number in range(WRITERS):
        assert (
            AuditEvent.objects.filter(object_type="bench.writer", object_id=str(number)).count() == PER_WRITER
        )
    result = chain.verify()
    assert result.ok, result
    assert result.count == total


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_verification_during_appends_raises_no_false_alarm():
    """Appends committed while verify() reads are either covered by the head or beyond it — never an alarm."""
    stop = threading.Event()
    errors = []

    def writer():
        try:
            while not stop.is_set():
                with transaction.atomic():
                    chain.append("during_verify")
        except Exception as exc:  # pragma: no cover
            errors.append(exc)
        finally:
            connections.close_all()

    with transaction.atomic():
        chain.append_many([{"action": "seed", "payload": {"i": i}} for i in range(3000)])
    thread = threading.Thread(target=writer)
    thread.start()
    try:
        results = [chain.verify(chunk_size=200) for _ in range(5)]
    finally:
        stop.set()
        thread.join()
    assert not errors, errors
    assert all(r.ok for r in results), results
    assert chain.verify().ok
    assert connection.vendor == "postgresql"


@pytest.fixture
def parallel_threshold(monkeypatch):
    monkeypatch.setattr(scan, "PARALLEL_MIN_EVENTS", 10)


def _seed(n):
    with transaction.atomic():
        return chain.append_many(
            [{"action": "seed", "obj": ("dossiers.dossier", i), "payload": {"i": i}} for i in range(n)]
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_verification_of_an_intact_chain(parallel_threshold):
    events = _seed(101)
    for workers in (2, 3, 4):
        result = chain.verify(workers=workers)
        assert (result.ok, result.count, result.last_hash) == (True, 101, events[-1].hash)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "count, segments_expected",
    [
        (30, [(1, 8), (9, 16), (17, 24), (25, 30)]),  # the last segment shorter
        (32, [(1, 8), (9, 16), (17, 24), (25, 32)]),  # a multiple of the workers: no fifth, empty one
    ],
)
def test_parallel_verification_gives_each_worker_one_segment_of_the_chain(
    parallel_threshold, monkeypatch, count, segments_expected
):
    """``--workers N``: the chain is cut into N consecutive segments of equal length (the last one
    shorter), one per forked process: every event checked once, the work shared."""
    seeded = _seed(count)
    real_get_context = scan.multiprocessing.get_context
    segments = []

    class Spy:
        def __init__(self, context):
            self.context = context

        def Pool(self, processes):
            pool = self.context.Pool(processes)
            real_map = pool.map

            def recording_map(function, tasks):
                segments.append((processes, [(lo, hi) for _, lo, hi, _ in tasks]))
                return real_map(function, tasks)

            pool.map = recording_map
            return pool

    monkeypatch.setattr(scan.multiprocessing, "get_context", lambda kind: Spy(real_get_context(kind)))
    result = chain.verify(workers=4)
    assert (result.ok, result.count, result.last_hash) == (True, count, seeded[-1].hash)
    assert segments == [(4, segments_expected)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "sql, expected",
    [
        ("UPDATE audit_auditevent SET action = 'x' WHERE seq = 10", 10),  # inside the first segment
        ("UPDATE audit_auditevent SET action = 'x' WHERE seq = 51", 51),  # first event of segment 2
        ("UPDATE audit_auditevent SET prev_hash = repeat('f', 64) WHERE seq = 51", 51),
        ("UPDATE audit_auditevent SET hash = repeat('e', 64) WHERE seq = 50", 50),  # last of segment 1
        ("DELETE FROM audit_auditevent WHERE seq = 50", 50),
        ("DELETE FROM audit_auditevent WHERE seq = 51", 51),
        ("DELETE FROM audit_auditevent WHERE seq = 75", 75),
        ("DELETE FROM audit_auditevent WHERE seq = 100", 100),  # last event: the head tells
        ("UPDATE audit_auditevent SET seq = 1000 WHERE seq = 60", 60),
    ],
)
def test_parallel_verification_names_the_same_first_bad_seq(parallel_threshold, sql, expected):
    _seed(100)
    tamper(sql)
    single = chain.verify()
    parallel = chain.verify(workers=2)
    assert (single.ok, single.first_bad_seq) == (False, expected), single
    assert (parallel.ok, parallel.first_bad_seq) == (False, expected), parallel


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_verification_detects_a_replaced_last_event_of_a_segment(parallel_threshold):
    events = _seed(100)
    forged = events[49].canonical.replace('"i":49', '"i":4900')
    forge(events[49], forged)
    assert chain.verify(workers=2).first_bad_seq == 50
    assert chain.verify().first_bad_seq == 50


def test_parallel_verification_never_forks_on_an_in_memory_sqlite_database():
    """Forked workers would each see an empty in-memory database: one process then."""

    def sqlite(in_memory):
        return SimpleNamespace(vendor="sqlite", in_atomic_block=False, is_in_memory_db=lambda: in_memory)

    def other(vendor, atomic=False):  # no is_in_memory_db: a PostgreSQL connection has none
        return SimpleNamespace(vendor=vendor, in_atomic_block=atomic)

    assert scan.can_fork(sqlite(in_memory=False))
    assert not scan.can_fork(sqlite(in_memory=True))
    assert scan.can_fork(other("postgresql"))
    assert not scan.can_fork(other("postgresql", atomic=True))
    assert not scan.can_fork(other("mysql"))


def test_parallel_verification_never_forks_from_a_daemon_process(monkeypatch):
    """A daemon process (a Celery or multiprocessing worker) may not have children: one process."""
    monkeypatch.setattr(scan.multiprocessing, "current_process", lambda: SimpleNamespace(daemon=True))
    assert not scan.can_fork(SimpleNamespace(vendor="postgresql", in_atomic_block=False))


@pytest.mark.django_db(transaction=True)
def test_parallel_verification_of_an_empty_chain_is_intact():
    """``verify_audit`` asks for several processes by default: an empty trail stays intact."""
    result = chain.verify(workers=2)
    assert (result.ok, result.count, result.first_bad_seq) == (True, 0, None)


def test_read_ahead_stops_cleanly_while_the_database_is_still_fetching():
    """The verification stops reading (first bad event found) while the read-ahead thread waits on
    the database: closing waits for that thread, without raising."""

    class SlowCursor:
        calls = 0

        def fetchmany(self, size):
            self.calls += 1
            if self.calls > 1:
                time.sleep(0.3)
            return [(self.calls,)] * size

    rows = scan._prefetched(SlowCursor(), 2)
    assert next(rows) == (1,)
    rows.close()
    assert not [t for t in threading.enumerate() if t.name == "audit-verify-fetch"]


def test_a_database_error_while_reading_ahead_reaches_the_verification():
    """The read-ahead thread's failure (connection lost mid-read) is raised where the rows are
    checked: the verification fails loudly instead of waiting for rows that never come."""

    class FailingCursor:
        calls = 0

        def fetchmany(self, size):
            self.calls += 1
            if self.calls > 1:
                raise OperationalError("connexion perdue")
            return [(1,)] * size

    outcome = []

    def consume():
        try:
            outcome.append(list(scan._prefetched(FailingCursor(), 2)))
        except Exception as exc:
            outcome.append(exc)

    reader = threading.Thread(target=consume, daemon=True)
    reader.start()
    reader.join(timeout=10)
    assert len(outcome) == 1 and isinstance(outcome[0], OperationalError)


@pytest.mark.django_db
def test_verification_stops_its_read_ahead_when_it_names_the_first_bad_event(monkeypatch):
    _seed(30)
    tamper("UPDATE audit_auditevent SET action = 'x' WHERE seq = 2")
    closed = []
    prefetched = scan._prefetched

    class Tracked:
        def __init__(self, raw_cursor, chunk_size):
            self.rows = prefetched(raw_cursor, chunk_size)

        def __iter__(self):
            return self.rows

        def close(self):
            closed.append(True)
            self.rows.close()

    monkeypatch.setattr(scan, "_prefetched", Tracked)
    assert chain.verify(chunk_size=2).first_bad_seq == 2
    assert closed == [True]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_verification_says_the_deleted_last_event_of_a_segment_is_absent(parallel_threshold):
    """A segment that ends early (its last event deleted) is reported as that event missing, as the
    single-process verification says, not as a broken link from the next segment."""
    _seed(100)
    tamper("DELETE FROM audit_auditevent WHERE seq = 50")
    for result in (chain.verify(), chain.verify(workers=2)):
        assert (result.ok, result.first_bad_seq) == (False, 50), result
        assert "événement n° 50 absent" in result.reason, result


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_verification_names_the_first_event_of_a_segment_deleted_whole(parallel_threshold):
    _seed(100)
    tamper("DELETE FROM audit_auditevent WHERE seq >= 51")
    for result in (chain.verify(), chain.verify(workers=2)):
        assert (result.ok, result.first_bad_seq) == (False, 51), result


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_verification_checks_a_last_segment_of_one_event(parallel_threshold):
    """10 events in 4 segments: 1–3, 4–6, 7–9 and 10 alone, checked too."""
    events = _seed(10)
    result = chain.verify(workers=4)
    assert (result.ok, result.count, result.last_hash) == (True, 10, events[-1].hash)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_verification_checks_the_first_event_against_the_genesis_hash(parallel_threshold):
    """The whole chain rehashed from another starting hash, head moved: event 1 is named."""
    events = _seed(100)
    rehash(events, "f" * 64)
    for result in (chain.verify(), chain.verify(workers=2)):
        assert (result.ok, result.first_bad_seq) == (False, 1), result
        assert result.reason == "le premier événement ne part pas de l'empreinte initiale", result


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_verification_names_the_first_of_two_alterations_in_different_segments(parallel_threshold):
    """Three segments (1–34, 35–68, 69–100): event 34 replaced (rehashed) and event 80 altered: 34."""
    events = _seed(100)
    forged = events[33].canonical.replace('"i":33', '"i":3300')
    forge(events[33], forged)
    tamper("UPDATE audit_auditevent SET action = 'x' WHERE seq = 80")
    for result in (chain.verify(), chain.verify(workers=3)):
        assert (result.ok, result.first_bad_seq) == (False, 34), result


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_verification_compares_the_end_of_the_chain_with_the_head(parallel_threshold):
    _seed(100)
    tamper("UPDATE audit_chainhead SET last_hash = repeat('a', 64) WHERE id = 1")
    for result in (chain.verify(), chain.verify(workers=2)):
        assert (result.ok, result.first_bad_seq) == (False, 100), result


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_verification_reports_a_deleted_head(parallel_threshold):
    _seed(100)
    tamper("DELETE FROM audit_chainhead")
    for result in (chain.verify(), chain.verify(workers=2)):
        assert (result.ok, result.first_bad_seq) == (False, 100), result
        assert "a disparu" in result.reason, result


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_verification_counts_like_the_single_one_when_a_row_breaks_the_walk(parallel_threshold):
    """A NULL where the hashed text has a string (a DBA dropped NOT NULL) in segment 2: the same
    first bad number and the same count of events checked before it."""
    _seed(100)
    with protection_lifted(connection), connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditevent ALTER COLUMN actor_role DROP NOT NULL")
        cursor.execute("UPDATE audit_auditevent SET actor_role = NULL WHERE seq = 75")
    try:
        single, parallel = chain.verify(), chain.verify(workers=2)
        assert (single.ok, single.first_bad_seq, single.count) == (False, 75, 74), single
        assert (parallel.ok, parallel.first_bad_seq, parallel.count) == (False, 75, 74), parallel
    finally:
        with protection_lifted(connection), connection.cursor() as cursor:
            cursor.execute("UPDATE audit_auditevent SET actor_role = '' WHERE seq = 75")
            cursor.execute("ALTER TABLE audit_auditevent ALTER COLUMN actor_role SET NOT NULL")


@pytest.mark.django_db
def test_events_appended_while_the_chain_is_read_raise_no_false_alarm(monkeypatch):
    """Two events appended (the head moved with them) after the verification read the head: they
    are beyond the head it read, but the head read again covers them: intact, not « inséré »."""
    _seed(8)
    real_head_problem = scan.head_problem

    def appending_meanwhile(*args):
        with transaction.atomic():
            chain.append_many([{"action": "during_verify"}, {"action": "during_verify"}])
        return real_head_problem(*args)

    monkeypatch.setattr(scan, "head_problem", appending_meanwhile)
    result = chain.verify()
    assert (result.ok, result.count, result.reason) == (True, 8, ""), result


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_verification_of_segments_longer_than_256_events_is_intact(parallel_threshold):
    """Two segments of 300 events (counts past CPython's small integers): intact, all counted."""
    events = _seed(600)
    result = chain.verify(workers=2)
    assert (result.ok, result.count, result.last_hash) == (True, 600, events[-1].hash)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("start", ["0" * 64, "f" * 64])
def test_parallel_verification_checks_the_link_between_segments_whichever_way_it_sorts(
    parallel_threshold, start
):
    """Events 51 to 100 (the second segment) rehashed from another hash than event 50's, head
    moved: each segment is intact in itself, only the link between them tells; event 50 is named,
    whichever way the forged link compares with the true one."""
    events = _seed(100)
    rehash(events[50:], start)
    for result in (chain.verify(), chain.verify(workers=2)):
        assert (result.ok, result.first_bad_seq) == (False, 50), result
        assert result.reason == (
            "l'événement n° 50 n'est pas celui que l'événement n° 51 a chaîné (remplacé ou forgé)"
        ), result


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_verification_with_as_many_workers_as_events_checks_every_link(parallel_threshold):
    """10 events, 10 workers: segments of one event each, the second one starting from event 1's
    hash like every other: intact, all counted; event 2 rehashed from another hash is named as by
    the single-process verification (event 1 is not the one it chained)."""
    events = _seed(10)
    result = chain.verify(workers=10)
    assert (result.ok, result.count, result.last_hash) == (True, 10, events[-1].hash)
    forged_prev = "f" * 64
    tamper(
        "UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE seq = 2",
        [forged_prev, chain_hash(forged_prev, events[1].canonical)],
    )
    for result in (chain.verify(), chain.verify(workers=10)):
        assert (result.ok, result.first_bad_seq) == (False, 1), result
        assert result.reason == (
            "l'événement n° 1 n'est pas celui que l'événement n° 2 a chaîné (remplacé ou forgé)"
        ), result


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_verification_ends_on_the_last_good_event_like_the_single_one(parallel_threshold):
    """Event 75 altered (segment 2 of 51–100): both verifications count the 74 events before it
    and give event 74's hash as the last one checked, not the end of segment 1."""
    events = _seed(100)
    tamper("UPDATE audit_auditevent SET action = 'x' WHERE seq = 75")
    for result in (chain.verify(), chain.verify(workers=2)):
        assert (result.ok, result.first_bad_seq, result.count) == (False, 75, 74), result
        assert result.last_hash == events[73].hash, result
