"""The application's one clock: every "now" and "today" of the fund comes from here.

Deadlines, the dates printed on letters and minutes, the opening time of a sitting, the date a
batch is executed: all read `now()` or `today()`. Production reads the system clock; tests move
time with `travel()` (the ``clock`` fixture of ``tests/conftest.py``) instead of editing rows.
Only the fund's own code reads it: TOTP codes and sign-in lockouts keep the real time.
"""

from __future__ import annotations

import contextlib
import datetime as dt

from django.utils import timezone

_offset = dt.timedelta(0)
_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    """The current moment (aware, UTC)."""
    if _frozen is not None:
        return _frozen
    return timezone.now() + _offset


def today() -> dt.date:
    """Today's date in the fund's time zone (Europe/Paris)."""
    return timezone.localdate(now())


def localnow() -> dt.datetime:
    """The current moment in the fund's time zone."""
    return timezone.localtime(now())


def _aware(moment: dt.datetime | dt.date) -> dt.datetime:
    if not isinstance(moment, dt.datetime):
        moment = dt.datetime.combine(moment, dt.time(12, 0))
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def travel_to(moment: dt.datetime | dt.date, *, freeze: bool = False) -> None:
    """Move the clock to ``moment`` (a date means noon, Paris time); it keeps ticking from there
    unless ``freeze``."""
    global _offset, _frozen
    moment = _aware(moment)
    if freeze:
        _frozen, _offset = moment, dt.timedelta(0)
    else:
        _frozen, _offset = None, moment - timezone.now()


def advance(delta: dt.timedelta | None = None, **kwargs) -> dt.datetime:
    """Move the clock forward by ``delta`` (or ``timedelta(**kwargs)``); returns the new now."""
    global _offset, _frozen
    delta = delta if delta is not None else dt.timedelta(**kwargs)
    if _frozen is not None:
        _frozen = _frozen + delta
    else:
        _offset = _offset + delta
    return now()


def reset() -> None:
    """Back to the system clock."""
    global _offset, _frozen
    _offset, _frozen = dt.timedelta(0), None


@contextlib.contextmanager
def travel(moment: dt.datetime | dt.date, *, freeze: bool = False):
    """``with clock.travel(date):`` — the clock at ``moment`` inside the block, restored after."""
    global _offset, _frozen
    saved = (_offset, _frozen)
    travel_to(moment, freeze=freeze)
    try:
        yield
    finally:
        _offset, _frozen = saved
