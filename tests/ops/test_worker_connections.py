"""A Celery worker keeps its database connection from one task to the next, as a web process
keeps it from one request to the next (``CONN_MAX_AGE``), and drops it when it is old or broken."""

import threading
import time
from types import SimpleNamespace

import psycopg
import pytest
from celery.fixups.django import DjangoWorkerFixup
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction

from fonds.celery import _close_old_connections, app

pytestmark = pytest.mark.django_db(transaction=True)


def _task(eager: bool):
    return SimpleNamespace(request=SimpleNamespace(is_eager=eager))


def _open_connection(monkeypatch, max_age=60):
    """The connection opened (kept ``max_age`` seconds), and the list its closings go to (a
    closed in-memory SQLite test database would otherwise stay open: Django keeps it)."""
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", max_age)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    connection.close_at = time.monotonic() + max_age  # as ``connect()`` sets it
    closed = []
    monkeypatch.setattr(connections[DEFAULT_DB_ALIAS], "close", lambda: closed.append(True))
    return closed


def test_celerys_django_fixup_keeps_the_connection_between_tasks(monkeypatch):
    """Celery's fixup closes every connection around each task unless ``CELERY_DB_REUSE_MAX`` is
    set: a new PostgreSQL backend per task, about 10 ms of CPU (docs/benchmarks.md)."""
    fixup = DjangoWorkerFixup(app)
    assert fixup.db_reuse_max
    closed = _open_connection(monkeypatch)
    for _ in range(3):  # three tasks: before and after each
        fixup.on_task_prerun(_task(eager=False))
        fixup.on_task_postrun(_task(eager=False))
    assert closed == []


def test_an_old_connection_is_closed_around_a_task(monkeypatch):
    closed = _open_connection(monkeypatch)
    _close_old_connections(sender=_task(eager=False))
    assert closed == []  # younger than CONN_MAX_AGE: kept
    connection.close_at = 0  # as if opened more than CONN_MAX_AGE ago
    _close_old_connections(sender=_task(eager=False))
    assert closed == [True]


def test_a_kept_connection_is_checked_before_the_tasks_first_query(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("CONN_HEALTH_CHECKS: set on PostgreSQL (the production profile)")
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True
    _open_connection(monkeypatch)
    _close_old_connections(sender=_task(eager=False))
    assert connection.health_check_done is False  # the next query checks it first


def test_an_eager_task_leaves_its_callers_transaction_alone(monkeypatch):
    closed = _open_connection(monkeypatch)
    with transaction.atomic():  # autocommit off: Django would drop the connection
        _close_old_connections(sender=_task(eager=True))
        assert closed == [] and not connection.needs_rollback


def test_a_pool_threads_connections_are_closed_after_its_task(monkeypatch):
    closed = _open_connection(monkeypatch)  # the main thread's: kept
    seen = []

    def task_in_a_thread():
        with connection.cursor() as cursor:  # this thread's own connection
            cursor.execute("SELECT 1")
        monkeypatch.setattr(connections[DEFAULT_DB_ALIAS], "close", lambda: seen.append("closed"))
        _close_old_connections(sender=_task(eager=False))

    thread = threading.Thread(target=task_in_a_thread)
    thread.start()
    thread.join()
    assert seen == ["closed"] and closed == []


def test_a_connection_the_server_cut_is_replaced_before_the_next_tasks_first_query(monkeypatch):
    """A database restart between two tasks: the next task reconnects instead of failing."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL: the production profile's connections")
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    params = connection.get_connection_params()
    with psycopg.connect(
        **{k: v for k, v in params.items() if k in ("dbname", "user", "host", "port")}
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    _close_old_connections(sender=_task(eager=False))  # the next task starts
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid
