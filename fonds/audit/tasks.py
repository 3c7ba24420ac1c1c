"""Daily verification of the audit chain, and the sequencer's safety net (settings.CELERY_BEAT_SCHEDULE)."""

import logging
import time

from celery import shared_task

from fonds.ops.models import ChainCheck

from . import sequencer
from .chain import describe, verify

logger = logging.getLogger("fonds.audit")


@shared_task(name="fonds.audit.tasks.verify_chain")
def verify_chain() -> dict:
    """Verify the whole chain; log INFO when intact, ERROR naming the first bad sequence otherwise.

    The INFO line carries the head hash: logs kept outside the database are an external anchor
    that exposes even a complete recomputation of the chain.
    """
    started = time.perf_counter()
    result = verify()
    seconds = round(time.perf_counter() - started, 3)
    if result.ok:
        logger.info("%s Empreinte de tête : %s (%.2f s).", describe(result), result.last_hash, seconds)
    else:
        logger.error("%s", describe(result))
    ChainCheck.objects.create(
        ok=result.ok,
        count=result.count,
        first_bad_seq=result.first_bad_seq,
        reason=result.reason or "",
        last_hash=result.last_hash or "",
        seconds=seconds,
    )
    return {
        "ok": result.ok,
        "count": result.count,
        "first_bad_seq": result.first_bad_seq,
        "reason": result.reason,
        "last_hash": result.last_hash,
        "seconds": seconds,
    }


@shared_task(name="fonds.audit.tasks.sequence_events")
def sequence_events() -> dict:
    """Chain whatever is pending (deferred mode), every few seconds: the safety net of the
    ``audit_sequencer`` process, which normally leaves nothing. Several at once are harmless (the
    head's lock serializes them). Logs a WARNING when the oldest pending event is late."""
    chained = sequencer.sequence_all()
    count, age = sequencer.pending_status()
    if age is not None and age > sequencer.max_lag_seconds():
        logger.warning("Chaînage d'audit en retard : %s événements en attente depuis %.0f s.", count, age)
    return {"chained": chained, "pending": count, "oldest_pending_seconds": age}
