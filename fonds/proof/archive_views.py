"""Campaign archives, for auditors only: the list with the form that asks for one, the progress
page of a job, its JSON, and the ZIP once finished. Thin over ``archive``."""

from __future__ import annotations

from django import forms
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from fonds.accounts.roles import Role
from fonds.referentiel.models import Campaign
from fonds.ui.areas import role_area
from fonds.ui.files import private_file
from fonds.ui.progress import progress_response

from . import archive
from .models import CampaignArchive

auditors_only = role_area(
    read=frozenset({Role.AUDITEUR}), write=None, template="proof/archive_forbidden.html"
)


class ArchiveForm(forms.Form):
    campaign = forms.ModelChoiceField(
        label="Campagne",
        queryset=Campaign.objects.order_by("-pk"),
        empty_label="Choisir une campagne",
        error_messages={
            "required": "Choisissez la campagne à archiver.",
            "invalid_choice": "Campagne inconnue.",
        },
    )


def _list(request, form, status=200):
    jobs = CampaignArchive.objects.select_related("campaign", "created_by")[:50]
    return render(
        request,
        "proof/archives.html",
        {"title": "Archives de campagne", "form": form, "jobs": jobs},
        status=status,
    )


@auditors_only
@require_http_methods(["GET", "HEAD", "POST"])
def archives(request):
    """GET: the archives already asked for and the form; POST: ask for one (outbox)."""
    if request.method != "POST":
        return _list(request, ArchiveForm())
    form = ArchiveForm(request.POST)
    if not form.is_valid():
        return _list(request, form, status=400)
    job = archive.create(request.user, form.cleaned_data["campaign"])
    return redirect("proof:archive", pk=job.pk)


@auditors_only
@require_GET
def archive_detail(request, pk):
    job = get_object_or_404(CampaignArchive.objects.select_related("campaign", "created_by"), pk=pk)
    return render(
        request,
        "proof/archive.html",
        {
            "title": f"Archive n° {job.pk}",
            "job": job,
            "status_url": reverse("proof:archive-status", args=[job.pk]),
            "download_url": reverse("proof:archive-file", args=[job.pk]),
        },
    )


@auditors_only
@require_GET
def archive_status(request, pk):
    job = get_object_or_404(CampaignArchive, pk=pk)
    return progress_response(
        job,
        download_url=reverse("proof:archive-file", args=[job.pk]) if job.status == job.State.FINISHED else "",
        sha256=job.sha256,
    )


@auditors_only
@require_GET
def archive_file(request, pk):
    """The ZIP, streamed from the store; before it is finished, back to its progress page."""
    job = get_object_or_404(CampaignArchive, pk=pk)
    if job.status != job.State.FINISHED or not job.file:
        return redirect("proof:archive", pk=job.pk)
    return private_file(
        job.file, content_type="application/zip", as_attachment=True, filename=archive.filename(job)
    )
