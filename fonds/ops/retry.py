"""Retrying a transaction that PostgreSQL chose as a deadlock victim (SQLSTATE ``40P01``).

Two transactions can each wait for a row the other holds (a dossier row and the audit chain
head, with a deferred foreign key checked at COMMIT); the aborted one is run again in a NEW
transaction (``fn`` opens its own ``transaction.atomic()``), never inside the one that failed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from django.db import OperationalError

logger = logging.getLogger(__name__)
T = TypeVar("T")

DEADLOCK = "40P01"


def is_deadlock(exc: BaseException) -> bool:
    """The database aborted this transaction to break a deadlock (PostgreSQL ``40P01``)."""
    cause = exc.__cause__ or exc.__context__
    return isinstance(exc, OperationalError) and getattr(cause, "sqlstate", None) == DEADLOCK


def on_deadlock(fn: Callable[[], T], *, attempts: int = 3) -> T:
    """``fn()``, run again (up to ``attempts`` times in all) when it was a deadlock victim."""
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except OperationalError as exc:
            if attempt == attempts or not is_deadlock(exc):
                raise
            logger.warning("interblocage (deadlock) : nouvelle tentative %s/%s", attempt + 1, attempts)
    raise AssertionError("unreachable")
