"""Anchoring tasks: the head time-stamped daily (beat) and at each committee closing (outbox);
a failed attempt is tried again every 10 minutes (beat) through the outbox until one succeeds."""

from celery import shared_task
from django.db import transaction

from fonds.ops import outbox

from .service import anchor_head as make_anchor
from .state import configured, failing_since


@shared_task(name="fonds.anchors.tasks.anchor_head")
def anchor_head(reason: str = "daily", *ref) -> dict:
    """Time-stamp the chain head now; a failure is recorded (never raised: the closing that asked
    for it is done), and ``retry_failed_anchor`` tries again."""
    anchor = make_anchor(reason)
    if anchor is None:
        return {"ok": False, "configured": configured()}
    return {"ok": True, "seq": anchor.seq, "hash": anchor.hash, "gen_time": anchor.gen_time.isoformat()}


@shared_task(name="fonds.anchors.tasks.retry_failed_anchor", ignore_result=True)
def retry_failed_anchor() -> bool:
    """When the last attempt failed (no anchor since), ask again through the outbox."""
    failure = failing_since()
    if failure is None or not configured():
        return False
    with transaction.atomic():
        outbox.enqueue("fonds.anchors.tasks.anchor_head", "retry", failure.reason)
    return True
