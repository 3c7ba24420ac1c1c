"""Sealing minors' data in the trail, and purging it after the retention period."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets

from django.db import transaction

from fonds import clock
from fonds.audit import chain as audit
from fonds.dossiers.models import Dossier
from fonds.dossiers.states import FINAL_STATUSES, SYSTEM_ROLE
from fonds.suivi.models import FinalReport

from .access import AGE_FIELDS
from .models import MinorsKey, Purge

#: the fields whose values the trail seals: the participants' ages (``access.AGE_FIELDS``) — the
#: young people's, and the leaders' beside them, so that no reader of the trail (history page and
#: PDF, API, exports) sees an age the privacy rule would hide from them on the dossier's pages
MINORS_FIELDS = AGE_FIELDS


def _key_for(dossier) -> bytes:

    key, _ = MinorsKey.objects.get_or_create(dossier_id=dossier.pk, defaults={"key": secrets.token_bytes(32)})
    return bytes(key.key)


def protect(dossier, value) -> dict:
    """The audit-trail stand-in for a list of minors' ages: count + keyed digest, never the ages."""
    values = list(value or [])
    digest = hmac.new(
        _key_for(dossier), json.dumps(values, separators=(",", ":")).encode(), hashlib.sha256
    ).hexdigest()
    return {"minors_data": "scellé", "count": len(values), "hmac_sha256": digest}


def matches(dossier, value, sealed: dict) -> bool:
    """Does ``value`` match a sealed trace (False once purged: the key is gone)?"""

    if not MinorsKey.objects.filter(dossier_id=dossier.pk).exists():
        return False
    return hmac.compare_digest(protect(dossier, value)["hmac_sha256"], sealed.get("hmac_sha256", ""))


def due_for_purge(now=None):
    """Finished dossiers whose retention period has run out and that were not purged yet."""

    now = now or clock.now()
    years_by_campaign: dict[int, int] = {}
    candidates = Dossier.objects.filter(status__in=FINAL_STATUSES, minors_purge__isnull=True).select_related(
        "campaign"
    )
    for dossier in candidates.only("pk", "updated_at", "campaign").iterator(chunk_size=500):
        if dossier.campaign_id not in years_by_campaign:
            years_by_campaign[dossier.campaign_id] = int(
                dossier.rules.params.get("retention", {}).get("minors_data_years", 5)
            )
        if (
            dossier.updated_at + dt.timedelta(days=round(365.25 * years_by_campaign[dossier.campaign_id]))
            <= now
        ):
            yield dossier.pk


def purge(dossier_id: int, *, by=None) -> bool:
    """Purge one dossier's minors' data (idempotent: False when already purged or not finished)."""

    with transaction.atomic():
        dossier = Dossier.objects.select_for_update().filter(pk=dossier_id).first()
        if (
            dossier is None
            or dossier.status not in FINAL_STATUSES
            or Purge.objects.filter(dossier_id=dossier_id).exists()
        ):
            return False
        report = FinalReport.objects.select_for_update().filter(dossier_id=dossier_id).first()
        youth = len(dossier.youth_ages or [])
        Dossier.objects.filter(pk=dossier_id).update(youth_ages=[])
        list_path, report_youth = None, None
        if report is not None:
            report_youth = len(report.youth_ages or [])
            list_path = report.participant_list.name or None
            FinalReport.objects.filter(pk=report.pk).update(
                youth_ages=[], participant_list="", participant_list_name=""
            )
        MinorsKey.objects.filter(dossier_id=dossier_id).delete()
        Purge.objects.create(
            dossier_id=dossier_id,
            youth_count=youth,
            report_youth_count=report_youth,
            participant_list_deleted=bool(list_path),
        )
        audit.append(
            "minors_data_purged",
            actor=by,
            role="admin" if by is not None else SYSTEM_ROLE,
            obj=dossier,
            payload={
                "reference": dossier.reference,
                "youth_count": youth,
                "report_youth_count": report_youth,
                "participant_list_deleted": bool(list_path),
                "key_destroyed": True,
                "retention_years": dossier.rules.params.get("retention", {}).get("minors_data_years"),
            },
        )
        if list_path:
            storage = FinalReport._meta.get_field("participant_list").storage
            transaction.on_commit(lambda: storage.delete(list_path))
    return True
