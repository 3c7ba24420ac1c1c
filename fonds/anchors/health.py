"""The anchor line of ``/sante/``: age of the last time-stamp of the chain head, and whether the
authority is failing. Degrades the status (200) rather than taking the site out of rotation: the
fund keeps working while the authority is down, and the anchor is retried."""

from __future__ import annotations

from django.conf import settings

from .models import AuditAnchor
from .state import anchor_age_seconds, configured, failing_since


def check_anchor() -> dict:
    if not configured():
        return {"ok": True, "configured": False, "detail": "horodatage non configuré (FJJ_TSA_URL)"}
    last = AuditAnchor.objects.order_by("-created_at", "-id").values_list("seq", "gen_time").first()
    age = anchor_age_seconds()
    max_age = settings.FJJ_ANCHOR_MAX_AGE_HOURS * 3600
    failure = failing_since()
    result = {
        "ok": age is not None and age <= max_age and failure is None,
        "configured": True,
        "last_anchor_seq": last[0] if last else None,
        "last_anchor_at": last[1].isoformat() if last else None,
        "age_seconds": round(age) if age is not None else None,
        "max_age_seconds": round(max_age),
        "authority_unreachable": failure is not None,
    }
    if failure is not None:
        result["failing_since"] = failure.at.isoformat()
        result["detail"] = "autorité d'horodatage injoignable : nouvel essai toutes les 10 minutes"
    elif age is None:
        result["detail"] = "aucun ancrage encore"
    elif age > max_age:
        result["detail"] = "dernier ancrage trop ancien"
    return result
