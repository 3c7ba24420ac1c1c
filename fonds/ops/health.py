"""What the health endpoint checks: database, broker, worker heartbeat, audit chain — and the
data invariants the fund's rules promise (a dossier « en comité » is on an agenda).

Each check returns ``{"ok": bool, ...details}``; none raises. Cheap enough to be polled every few
seconds by a load balancer: the audit-chain check compares the head row with the last event (two
indexed reads) and reports the last *full* verification (the daily beat task) — it never walks
the chain itself; the invariant check is one indexed query.

``report()["status"]``: ``ok``; ``degraded`` when only an invariant check fails (the service
answers, the data needs a repair: 200, ``ok`` stays true); ``down`` when a service check fails
(503).
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection
from kombu import Connection

from fonds import clock
from fonds.audit import sequencer
from fonds.audit.models import AuditEvent, ChainHead
from fonds.celery import app

from .models import ChainCheck, Heartbeat


def _eager() -> bool:
    return bool(app.conf.task_always_eager)


def check_database() -> dict:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 — reported, not raised
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "vendor": connection.vendor, "ms": round((time.perf_counter() - started) * 1000, 1)}


def check_broker(timeout: float = 2.0) -> dict:
    url = settings.CELERY_BROKER_URL
    scheme = url.split("://", 1)[0]
    if _eager():
        return {"ok": True, "transport": scheme, "eager": True}
    started = time.perf_counter()
    try:
        with Connection(url, connect_timeout=timeout, transport_options={"max_retries": 0}) as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "transport": scheme, "error": type(exc).__name__}
    return {"ok": True, "transport": scheme, "ms": round((time.perf_counter() - started) * 1000, 1)}


def check_workers() -> dict:
    if _eager():
        return {"ok": True, "eager": True}
    max_age = settings.FJJ_HEARTBEAT_MAX_AGE
    beats = list(Heartbeat.objects.order_by("-at").values_list("worker", "at")[:20])
    now = clock.now()
    alive = [w for w, at in beats if (now - at).total_seconds() <= max_age]
    last = beats[0][1] if beats else None
    return {
        "ok": bool(alive),
        "alive": len(alive),
        "last_heartbeat": last.isoformat() if last else None,
        "max_age_seconds": max_age,
    }


def check_audit_chain() -> dict:
    head = ChainHead.objects.filter(pk=1).values_list("last_seq", "last_hash").first()
    last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first() or (0, None)
    head_ok = head is not None and (head[0] == last[0]) and (last[1] is None or head[1] == last[1])
    latest = ChainCheck.objects.order_by("-at", "-id").first()
    pending, age = sequencer.pending_status()  # deferred sequencing: the sequencer's lag
    late = age is not None and age > sequencer.max_lag_seconds()
    result = {
        "ok": head_ok and not late and (latest is None or latest.ok),
        "head_seq": head[0] if head else None,
        "head_matches_last_event": head_ok,
        "pending_events": pending,
        "oldest_pending_seconds": round(age, 1) if age is not None else None,
    }
    if latest is not None:
        result["last_full_check"] = {
            "at": latest.at.isoformat(),
            "ok": latest.ok,
            "count": latest.count,
            "first_bad_seq": latest.first_bad_seq,
        }
    else:
        result["last_full_check"] = None
    return result


#: how many references an invariant check lists (the count is always complete)
LISTED = 20

CHECKS = {
    "database": check_database,
    "broker": check_broker,
    "workers": check_workers,
    "audit_chain": check_audit_chain,
}
#: data invariants: a failure degrades the status without taking the service out of rotation.
#: The stages register theirs from their ``AppConfig.ready()`` (ops sits below them).
INVARIANTS: dict = {}


def register_invariant(name: str, check) -> None:
    """Add ``check() -> {"ok": bool, ...}`` to the invariants ``report()`` runs (idempotent)."""
    INVARIANTS[name] = check


def _run(check) -> dict:
    try:
        return check()
    except Exception as exc:  # noqa: BLE001 — a failing check is a red light, never a 500
        return {"ok": False, "error": type(exc).__name__}


def report() -> dict:
    results = {name: _run(check) for name, check in CHECKS.items()}
    up = all(r["ok"] for r in results.values())
    invariants = {}
    if results["database"]["ok"]:  # the invariants read the database
        invariants = {name: _run(check) for name, check in INVARIANTS.items()}
    results.update(invariants)
    status = "down" if not up else ("degraded" if not all(r["ok"] for r in invariants.values()) else "ok")
    return {"ok": up, "status": status, "checks": results, "at": clock.now().isoformat()}
