"""One beat, however many are started: a lease in the database decides which one sends.

Celery beat has no lock of its own: two beats send every scheduled task twice. Here each beat
ticks through ``LeasedScheduler``; before sending anything it takes or renews the single
``BeatLease`` row (an atomic conditional UPDATE: free, expired or already ours). The holder sends
as usual; any other beat sleeps and retries, and takes over within ``FJJ_BEAT_LEASE_SECONDS``
when the holder dies. A takeover may send once more an entry the dead holder had just sent:
every task is idempotent (docs/conventions.md), a lost daily task would be worse.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid

from celery.beat import PersistentScheduler
from django.conf import settings
from django.db import IntegrityError, close_old_connections, transaction
from django.db.models import Q

from fonds import clock

from .models import BeatLease


def holder_name() -> str:
    """This beat's identity: host, process and a random part (a restarted process is new)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def hold(holder: str, seconds: float, now=None) -> bool:
    """Take or renew the lease for ``seconds``; True when ``holder`` holds it afterwards."""
    now = now or clock.now()
    expires = now + dt.timedelta(seconds=seconds)
    expired = Q(expires_at__lt=now)
    lease = BeatLease.objects.filter(pk=1)
    if lease.filter(holder=holder).update(expires_at=expires):
        return True  # renewed
    if lease.filter(expired).update(holder=holder, expires_at=expires, acquired_at=now):
        return True  # taken over from an expired holder
    if BeatLease.objects.filter(pk=1).exists():
        return False
    try:
        with transaction.atomic():
            BeatLease.objects.create(pk=1, holder=holder, expires_at=expires, acquired_at=now)
        return True
    except IntegrityError:  # another beat created it first
        return False


def release(holder: str) -> None:
    """Give the lease up at once (a clean stop), so a standby need not wait for it to expire."""
    BeatLease.objects.filter(pk=1, holder=holder).update(expires_at=clock.now() - dt.timedelta(seconds=1))


class LeasedScheduler(PersistentScheduler):
    """``PersistentScheduler`` that sends only while holding the lease."""

    def __init__(self, *args, **kwargs):
        self.holder = holder_name()
        self.lease_seconds = float(settings.FJJ_BEAT_LEASE_SECONDS)
        self.holding = False
        super().__init__(*args, **kwargs)

    def tick(self, *args, **kwargs):
        # renew well before expiry: at most a third of the lease between two ticks
        interval = self.lease_seconds / 3
        close_old_connections()
        was_holding, self.holding = self.holding, hold(self.holder, self.lease_seconds)
        if self.holding != was_holding:
            state = "détient" if self.holding else "ne détient plus"
            self.logger.warning(
                "beat %s %s le bail : %s", self.holder, state, "envoie" if self.holding else "attend"
            )
        if not self.holding:
            return interval
        return min(super().tick(*args, **kwargs), interval)

    def close(self):
        if self.holding:
            close_old_connections()
            release(self.holder)
            self.holding = False
        super().close()
