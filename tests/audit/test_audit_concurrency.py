"""Concurrent writers on PostgreSQL: one linear chain."""
import threading

import pytest
from django.db import connection, connections, transaction

from fonds.audit import chain
from fonds.audit.models import AuditEvent

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
                    chain.append("concurrent", role="instructeur", obj=("bench.writer", number), payload={"i": i})
                if i % 10 == 0:
                    with transaction.atomic():
                        chain.append_many([{"action": "concurrent_batch", "payload": {"i": i, "k": k}} for k in range(3)])
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
        assert AuditEvent.objects.filter(object_type="bench.writer", object_id=str(number)).count() == PER_WRITER
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
