"""« Contrôle »: exports for auditors (read-only) and administrators. Thin views over
``fonds.reporting.exports``; every download is recorded in the audit trail."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.http import FileResponse, Http404, HttpResponse, JsonResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from fonds.accounts.roles import ALL_DOSSIERS_ROLES, Role, roles_of
from fonds.dossiers.access import get_visible_or_404
from fonds.ui.areas import role_area

from . import audit_export, exports
from .forms import ExportForm
from .history import render_history_pdf
from .models import ExportJob
from .scdl import fund_siret, siret_coverage

CONTROL_ROLES = frozenset({Role.AUDITEUR, Role.ADMIN})


#: auditors and administrators; anyone else gets the French 403 page (writes: the views' own forms,
#: and the auditors' read-only middleware)
controllers_only = role_area(read=CONTROL_ROLES, write=None, template="reporting/forbidden.html")


def _selection_from(request, data):
    form = ExportForm(data)
    if not form.is_valid():
        return form, None, None
    try:
        qs, description = exports.selection(
            user=request.user,
            campaign=form.cleaned_data["campaign"],
            saved_filter=form.cleaned_data["saved_filter"],
        )
    except ValidationError as exc:
        form.add_error("saved_filter", exc)
        return form, None, None
    return form, qs, description


def _page(request, form, status=200):
    jobs = ExportJob.objects.filter(user=request.user).select_related("campaign")[:20]
    coverage = siret_coverage(
        exports.selection(user=request.user)[0]
    )  # one query; lists the held-back awards
    return render(
        request,
        "reporting/exports.html",
        {
            "title": "Contrôle : exports",
            "form": form,
            "jobs": jobs,
            "nav": "controle",
            "head": audit_export.head(),
            "siret_coverage": coverage,
        },
        status=status,
    )


@controllers_only
@require_GET
def home(request):
    return _page(request, ExportForm(initial={"format": "csv"}))


@controllers_only
@require_GET
def download_csv(request):
    """CSV and SCDL: streamed straight to the browser (a GET: nothing is changed but the trail)."""
    form, qs, description = _selection_from(request, request.GET)
    if qs is None:
        return _page(request, form, status=400)
    fmt = form.cleaned_data["format"]
    if fmt not in ("csv", "scdl"):
        return redirect("reporting:home")
    try:
        if fmt == "scdl":
            fund_siret()
    except ImproperlyConfigured as exc:
        form.add_error(None, str(exc))
        return _page(request, form, status=400)
    semicolon = bool(form.cleaned_data["semicolon"]) and fmt == "csv"
    response = StreamingHttpResponse(
        exports.stream_decisions(request.user, qs, description, fmt, semicolon=semicolon),
        content_type=exports.CONTENT_TYPES[fmt],
    )
    response["Content-Disposition"] = f'attachment; filename="{exports.filename(fmt, description)}"'
    return response


@controllers_only
@require_http_methods(["POST"])
def launch(request):
    """XLSX / ODS: a job built by a Celery task; the page shows its progress."""
    form = ExportForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    fmt = form.cleaned_data["format"]
    if fmt in ("csv", "scdl"):
        query = QueryDict(mutable=True)
        query.update({k: v for k, v in request.POST.items() if k in form.fields})
        return redirect(reverse("reporting:csv") + "?" + query.urlencode())
    try:
        job = exports.create_job(
            request.user,
            fmt,
            campaign=form.cleaned_data["campaign"],
            saved_filter=form.cleaned_data["saved_filter"],
        )
    except ValidationError as exc:
        form.add_error("saved_filter", exc)
        return _page(request, form, status=400)
    return redirect("reporting:job", pk=job.pk)


def _own_job(request, pk) -> ExportJob:
    job = ExportJob.objects.filter(pk=pk).select_related("campaign").first() if str(pk).isdigit() else None
    if job is None or (job.user_id != request.user.pk and Role.ADMIN not in roles_of(request.user)):
        raise Http404("Export introuvable.")
    return job


@controllers_only
@require_GET
def job_detail(request, pk):
    job = _own_job(request, pk)
    return render(
        request,
        "reporting/job.html",
        {
            "title": f"Export n° {job.pk}",
            "job": job,
            "nav": "controle",
            "status_url": reverse("reporting:job-status", args=[job.pk]),
        },
    )


def job_status_data(job: ExportJob) -> dict:
    return {
        "id": job.pk,
        "format": job.format,
        "state": job.state,
        "state_label": job.get_state_display(),
        "rows_done": job.rows_done,
        "rows_total": job.rows_total,
        "percent": job.percent,
        "finished": job.finished,
        "sha256": job.sha256,
        "size": job.size,
        "error": job.error,
    }


@controllers_only
@require_GET
def job_status(request, pk):
    job = _own_job(request, pk)
    data = job_status_data(job)
    if job.state == ExportJob.State.DONE:
        data["download_url"] = reverse("reporting:job-download", args=[job.pk])
    return JsonResponse(data)


@controllers_only
@require_GET
def job_download(request, pk):
    job = _own_job(request, pk)
    if job.state != ExportJob.State.DONE or not job.file:  # not ready (or failed): its progress page
        return redirect("reporting:job", pk=job.pk)
    ext = exports.EXTENSIONS[job.format]
    return FileResponse(
        job.file.open("rb"),
        as_attachment=True,
        filename=f"export-{job.pk}.{ext}",
        content_type=exports.CONTENT_TYPES[job.format],
    )


@controllers_only
@require_GET
def audit_trail(request):
    response = StreamingHttpResponse(
        exports.stream_audit_export(request.user), content_type=exports.CONTENT_TYPES["jsonl"]
    )
    response["Content-Disposition"] = f'attachment; filename="{audit_export.export_filename()}"'
    return response


@controllers_only
@require_GET
def dossier_audit(request, pk):
    dossier = get_visible_or_404(request.user, pk)
    response = StreamingHttpResponse(
        exports.stream_audit_export(request.user, dossier.pk), content_type=exports.CONTENT_TYPES["jsonl"]
    )
    response["Content-Disposition"] = f'attachment; filename="{audit_export.export_filename(dossier)}"'
    return response


@login_required
@require_GET
@role_area(read=ALL_DOSSIERS_ROLES, write=None, template="reporting/forbidden.html")
def dossier_history_pdf(request, pk):
    """Staff who see the dossier (and its porteur? no: the trail holds internal events) — auditors,
    admins, instructors, committee and finance."""
    dossier = get_visible_or_404(request.user, pk)
    pdf = render_history_pdf(dossier)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="historique-{dossier.reference}.pdf"'
    return response
