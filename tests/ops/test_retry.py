"""A transaction PostgreSQL aborted to break a deadlock is run again; any other error is not."""

import pytest
from django.db import OperationalError

from fonds.ops.retry import is_deadlock, on_deadlock


class _PgError(Exception):
    def __init__(self, sqlstate):
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def _django_error(sqlstate):
    try:
        try:
            raise _PgError(sqlstate)
        except _PgError as cause:
            raise OperationalError("deadlock detected") from cause
    except OperationalError as exc:
        return exc


def test_deadlock_victim_is_run_again():
    calls = []

    def work():
        calls.append(1)
        if len(calls) == 1:
            raise _django_error("40P01")
        return "done"

    assert on_deadlock(work) == "done"
    assert len(calls) == 2


def test_other_database_errors_are_not_retried():
    calls = []

    def work():
        calls.append(1)
        raise _django_error("57014")  # query cancelled

    with pytest.raises(OperationalError):
        on_deadlock(work)
    assert len(calls) == 1 and not is_deadlock(_django_error("57014"))


def test_a_deadlock_every_time_raises_after_the_attempts():
    calls = []

    def work():
        calls.append(1)
        raise _django_error("40P01")

    with pytest.raises(OperationalError):
        on_deadlock(work, attempts=3)
    assert len(calls) == 3
