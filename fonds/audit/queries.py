"""Read helpers over the audit trail (the trail itself is written only by fonds.audit.chain).

In deferred mode (``docs/audit.md``) an event is first committed pending, then chained by the
sequencer within a second or two: a reader that must see the change just committed looks at the
pending events too (``pending_for``, ``latest_position``, ``recorded_since``). In inline mode there
are none, and these helpers add no query.
"""

from __future__ import annotations

from django.db.models import QuerySet

from . import sequencer
from .chain import describe_object
from .models import AuditEvent, PendingEvent


def events_for(obj) -> QuerySet[AuditEvent]:
    """The events about ``obj`` (a model instance or a ``(type, id)`` pair), in sequence order.

    Uses the ``audit_object_idx`` index (object_type, object_id, seq).
    """
    object_type, object_id = describe_object(obj)
    return AuditEvent.objects.filter(object_type=object_type, object_id=object_id).order_by("seq")


def pending_for(obj) -> list[PendingEvent]:
    """The events about ``obj`` committed but not chained yet, in order (none in inline mode)."""
    if sequencer.mode() == sequencer.INLINE:
        return []
    object_type, object_id = describe_object(obj)
    return list(PendingEvent.objects.filter(object_type=object_type, object_id=object_id).order_by("id"))


def latest_position(obj) -> str:
    """A marker of the latest event about ``obj``, distinct for each new event: its sequence
    number, or ``p<id>`` while it waits for the sequencer (deferred mode)."""
    pending = pending_for(obj)
    if pending:
        return f"p{pending[-1].pk}"
    object_type, object_id = describe_object(obj)
    seq = (
        AuditEvent.objects.filter(object_type=object_type, object_id=object_id)
        .order_by("-seq")
        .values_list("seq", flat=True)
        .first()
    )
    return str(seq or 0)


def recorded_since(action: str, obj, since) -> bool:
    """Whether an ``action`` event about ``obj`` was recorded at or after ``since`` (chained or
    pending)."""
    object_type, object_id = describe_object(obj)
    where = {"action": action, "object_type": object_type, "object_id": object_id, "created_at__gte": since}
    if AuditEvent.objects.filter(**where).exists():
        return True
    return sequencer.mode() != sequencer.INLINE and PendingEvent.objects.filter(**where).exists()
