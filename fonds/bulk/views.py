"""Bulk-action pages (DSFR): confirmation, job progress (HTML + JSON), list of jobs.

Same access rule as the instruction back office (``fonds.instruction.views.common.staff_area``): instructors
and administrators create jobs; auditors may read the job pages but never reach the confirmation
(403); everybody else gets the 403 page.
"""

from __future__ import annotations

from django.db.models import Count
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from fonds.dossiers.services import TransitionRefused
from fonds.dossiers.states import Status
from fonds.instruction.filters import filter_dossiers
from fonds.instruction.views.common import staff_area
from fonds.ui.progress import progress_response

from . import services
from .forms import BulkActionForm
from .models import BulkJob

FAILURES_SHOWN = 500
#: the statuses from which each action can apply (for the confirmation's breakdown)
SOURCES = {
    BulkJob.Action.ASSIGN: {Status.SUBMITTED, Status.IN_INSTRUCTION},
    BulkJob.Action.START_INSTRUCTION: {Status.SUBMITTED},
    BulkJob.Action.SCHEDULE: {Status.INSTRUCTED},
    BulkJob.Action.REQUEST_CORRECTIONS: {Status.IN_INSTRUCTION},
    BulkJob.Action.MESSAGE: set(Status) - {Status.DRAFT},
    BulkJob.Action.ADD_LABEL: set(Status) - {Status.DRAFT},
    BulkJob.Action.REMOVE_LABEL: set(Status) - {Status.DRAFT},
}


def _forbidden(request):
    return render(
        request, "instruction/forbidden.html", {"title": "Lecture seule", "read_only": True}, status=403
    )


@staff_area
@require_http_methods(["GET", "POST"])
def confirm(request):
    """The list posts its querystring; this page counts the WHOLE filtered selection, asks for
    the action and an explicit confirmation, then freezes the selection in a ``BulkJob``."""
    if not request.can_write:
        return _forbidden(request)
    source = request.POST if request.method == "POST" else request.GET
    querystring = source.get("querystring", "")
    params = QueryDict(querystring)
    qs, filter_form = filter_dossiers(request.user, params)
    confirming = request.method == "POST" and "action" in request.POST
    form = BulkActionForm(request.POST if confirming else None)
    status = 200
    if confirming:
        if form.is_valid():
            ids = list(qs.values_list("pk", flat=True))
            try:
                job = services.create_job(
                    user=request.user,
                    action=form.cleaned_data["action"],
                    querystring=querystring,
                    params=form.job_params(),
                    dossier_ids=ids,
                )
            except TransitionRefused as refused:
                return render(request, "instruction/forbidden.html", {"title": refused.message}, status=403)
            return redirect("instruction:bulk-job", pk=job.pk)
        status = 400
    by_status = {row["status"]: row["n"] for row in qs.order_by().values("status").annotate(n=Count("pk"))}
    count = sum(by_status.values())
    breakdown = [(Status(s).label, n) for s, n in sorted(by_status.items(), key=lambda kv: -kv[1])]
    applicable = {action: sum(by_status.get(s, 0) for s in sources) for action, sources in SOURCES.items()}
    return render(
        request,
        "bulk/confirm.html",
        {
            "title": "Action groupée",
            "nav": "instruction",
            "form": form,
            "filter_form": filter_form,
            "querystring": querystring,
            "count": count,
            "breakdown": breakdown,
            "applicable": [(BulkJob.Action(a).label, n) for a, n in applicable.items()],
            "list_url": reverse("instruction:list") + (f"?{querystring}" if querystring else ""),
        },
        status=status,
    )


@staff_area
@require_GET
def job_page(request, pk):
    job = get_object_or_404(BulkJob.objects.select_related("created_by"), pk=pk)
    failures = job.failures.select_related("dossier", "dossier__commune")[:FAILURES_SHOWN]
    return render(
        request,
        "bulk/job.html",
        {
            "title": f"Action groupée n° {job.pk}",
            "nav": "instruction",
            "job": job,
            "failures": failures,
            "failures_more": max(0, job.failed - FAILURES_SHOWN),
            "status_url": reverse("instruction:bulk-job-status", args=[job.pk]),
        },
    )


@staff_area
@require_GET
def job_status(request, pk):
    job = get_object_or_404(BulkJob, pk=pk)
    return progress_response(job, succeeded=job.succeeded, failed=job.failed)


@staff_area
@require_GET
def jobs(request):
    rows = BulkJob.objects.select_related("created_by").defer("dossier_ids")[:100]
    return render(
        request, "bulk/jobs.html", {"title": "Actions groupées", "nav": "instruction", "jobs": rows}
    )
