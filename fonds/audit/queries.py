"""Read helpers over the audit trail (the trail itself is written only by fonds.audit.chain)."""

from __future__ import annotations

from django.db.models import QuerySet

from .chain import describe_object
from .models import AuditEvent


def events_for(obj) -> QuerySet[AuditEvent]:
    """The events about ``obj`` (a model instance or a ``(type, id)`` pair), in sequence order.

    Uses the ``audit_object_idx`` index (object_type, object_id, seq).
    """
    object_type, object_id = describe_object(obj)
    return AuditEvent.objects.filter(object_type=object_type, object_id=object_id).order_by("seq")
