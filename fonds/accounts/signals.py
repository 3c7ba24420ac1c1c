"""Failed sign-ins in the audit chain: one ``login_locked_out`` event per lockout, not one per failure.

django-axes counts and logs each failure; the chain gets one event when an (email, IP) pair is
locked out, so an anonymous client grows it by at most one event per ``FJJ_LOCKOUT_FAILURES``
failures. The counter is reset here for a password-only sign-in (agents: ``views.two_factor``).
"""

from __future__ import annotations

import datetime as dt
import hashlib

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.dispatch import receiver

from fonds import clock
from fonds.audit import chain as audit
from fonds.audit.models import ChainHead
from fonds.audit.queries import recorded_since

from .security import sign_in_completed
from .twofactor import needs_two_factor

LOCKOUT_ACTION = "login_locked_out"
LOCKOUT_OBJECT = "accounts.lockout"


def lockout_object_id(username: str, ip_address: str) -> str:
    """The (email, IP) pair as a short stable id (the audit column holds 40 characters)."""
    return hashlib.sha256(f"{username}\n{ip_address}".encode()).hexdigest()[:32]


@receiver(user_locked_out)
def record_lockout(sender, request=None, username=None, ip_address=None, **kwargs):
    username, ip_address = str(username or "")[:254], str(ip_address or "")
    minutes = int(getattr(settings, "FJJ_LOCKOUT_MINUTES", 15))
    now = clock.now()
    object_id = lockout_object_id(username, ip_address)
    with transaction.atomic():
        # under the chain head's lock: two failures at once make one event, not two (a lockout
        # still waiting for the sequencer counts: deferred mode, docs/audit.md)
        ChainHead.objects.select_for_update().filter(pk=1).exists()
        if recorded_since(LOCKOUT_ACTION, (LOCKOUT_OBJECT, object_id), now - dt.timedelta(minutes=minutes)):
            return
        failures = getattr(request, "axes_failures_since_start", None) or settings.FJJ_LOCKOUT_FAILURES
        audit.append(
            LOCKOUT_ACTION,
            actor=None,
            role="",
            obj=(LOCKOUT_OBJECT, object_id),
            payload={
                "identifier": username,
                "ip": ip_address,
                "failures": int(failures),
                "window_minutes": minutes,
                "locked_until": (now + dt.timedelta(minutes=minutes)).isoformat(),
                "path": getattr(request, "path", "")[:200],
            },
            at=now,
        )


@receiver(user_logged_in)
def reset_failures_when_signed_in(sender, request=None, user=None, **kwargs):
    if request is not None and user is not None and not needs_two_factor(user):
        sign_in_completed(request, user)
