"""Where anchoring stands, read cheaply (no pyHanko import: the health page polls it)."""

from __future__ import annotations

from django.conf import settings

from fonds import clock

from .models import AnchorFailure, AuditAnchor


def configured() -> bool:
    return bool(settings.FJJ_TSA_URL)


def failing_since() -> AnchorFailure | None:
    """The oldest failure since the last anchor (None when the last attempt succeeded)."""
    last = AuditAnchor.objects.order_by("-created_at", "-id").values_list("created_at", flat=True).first()
    failures = AnchorFailure.objects.all()
    if last is not None:
        failures = failures.filter(at__gt=last)
    return failures.order_by("at", "id").first()


def anchor_age_seconds() -> float | None:
    """Seconds since the last anchor was made, on the fund's clock (``created_at``)."""
    last = AuditAnchor.objects.order_by("-created_at").values_list("created_at", flat=True).first()
    return None if last is None else (clock.now() - last).total_seconds()
