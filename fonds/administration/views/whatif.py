"""The what-if job page: its progress (HTML refreshed by bulk/progress.js from the JSON status)
and, once over, what would change."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_GET

from fonds.eligibilite.rules import REGISTRY
from fonds.ui.progress import progress_response

from ..models import WhatIfJob
from .common import area, page

SHOWN = 100


@area
@require_GET
def job_page(request, pk):
    job = get_object_or_404(WhatIfJob.objects.select_related("campaign", "created_by"), pk=pk)
    result = job.result or {}
    flips = [
        {"code": code, **(result.get("flips") or {}).get(code, {"to_fail": 0, "to_pass": 0})}
        for code in REGISTRY
    ]
    changed = result.get("changed", [])
    followed = result.get("base_versions") or {}
    return page(
        request,
        "administration/whatif.html",
        f"Simulation n° {job.pk} — {job.campaign.name}",
        job=job,
        result=result,
        flips=flips,
        changed=changed[:SHOWN],
        changed_more=max(0, result.get("changed_count", 0) - SHOWN),
        older_count=sum(n for v, n in followed.items() if int(v) != job.base_version),
        status_url=reverse("administration:whatif-status", args=[job.pk]),
    )


@area
@require_GET
def job_status(request, pk):
    job = get_object_or_404(WhatIfJob, pk=pk)
    return progress_response(job)
