"""Bulk invitations, in two steps: upload the CSV file and see the report of every line (the file
is kept, nothing is created); confirm, and a Celery task invites the accepted lines while the page
shows a progress bar, then the report of refused lines. Administrators write, auditors read."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from fonds.ui.progress import progress_response
from fonds.ui.submit import submitted

from ..models import InvitationImport
from . import import_jobs
from .csv_import import AGENTS, MAYORS, CsvUnreadable, decode
from .forms import InviteForm, UploadForm
from .views import area

TITLES = {MAYORS: "Inviter des maires (fichier CSV)", AGENTS: "Inviter des agents du fonds (fichier CSV)"}
#: accepted lines listed before confirmation (a whole department's file has thousands)
ACCEPTED_SHOWN = 200
#: refused lines listed on a page
REFUSED_SHOWN = 1000


def _kind(kind: str) -> str:
    if kind not in TITLES:
        raise Http404("Type d'import inconnu.")
    return kind


@area
@require_http_methods(["GET", "POST"])
def upload(request, kind):
    """Step 1: read and check the file, keep it with its report and show the report."""
    kind = _kind(kind)
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                job = import_jobs.create(kind, decode(form.cleaned_data["file"].read()), by=request.user)
            except CsvUnreadable as exc:
                form.add_error("file", str(exc))
            else:
                return redirect("account_admin:import-job", pk=job.pk)
    context = {"title": TITLES[kind], "kind": kind, "upload": form}
    return render(request, "account_admin/import.html", context, status=status)


def _job_page(request, job, *, form=None, status=200):
    refused = job.refused[:REFUSED_SHOWN]
    context = {
        "title": TITLES.get(job.kind, "Import de comptes"),
        "kind": job.kind,
        "job": job,
        "accepted": job.accepted[:ACCEPTED_SHOWN],
        "accepted_more": max(0, job.total - ACCEPTED_SHOWN),
        "refused": refused,
        "refused_more": max(0, len(job.refused) - len(refused)),
        "invite_form": form or InviteForm(),
        "status_url": reverse("account_admin:import-job-status", args=[job.pk]),
        "upload": UploadForm(),
    }
    return render(request, "account_admin/import_job.html", context, status=status)


@area
@require_GET
def job_page(request, pk):
    """Before confirmation: the report and the confirmation; then the progress; then the report
    of what was done."""
    return _job_page(request, get_object_or_404(InvitationImport.objects.defer("text"), pk=pk))


@area
@require_http_methods(["POST"])
def confirm(request, pk):
    """Step 2: queue the invitations (a second confirmation of the same import does nothing)."""
    job = get_object_or_404(InvitationImport.objects.defer("text"), pk=pk)
    form = InviteForm(request.POST)
    done, status = submitted(
        request,
        form,
        lambda: import_jobs.confirm(job.pk, by=request.user),
        then=reverse("account_admin:import-job", args=[job.pk]),
    )
    return done or _job_page(request, job, form=form, status=status)


@area
@require_GET
def job_status(request, pk):
    job = get_object_or_404(InvitationImport.objects.defer("text", "accepted"), pk=pk)
    return progress_response(job, invited=job.invited, refused=len(job.refused))
