"""Daily verification of the audit chain (scheduled in settings.CELERY_BEAT_SCHEDULE)."""

import logging
import time

from celery import shared_task

from fonds.ops.models import ChainCheck

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
