"""Bulk invitations, in two steps: upload the CSV file and see the report of every line (nothing
is created yet); confirm, and the accepted lines are invited (``csv_import.invite``, which checks
the file again). Administrators only."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from .csv_import import AGENTS, MAYORS, CsvUnreadable, check, decode, invite
from .forms import InviteForm, UploadForm
from .views import area

TITLES = {MAYORS: "Inviter des maires (fichier CSV)", AGENTS: "Inviter des agents du fonds (fichier CSV)"}


def _kind(kind: str) -> str:
    if kind not in TITLES:
        raise Http404("Type d'import inconnu.")
    return kind


def _page(request, kind, *, upload=None, report=None, invite_form=None, done=None, status=200):
    context = {
        "title": TITLES[kind],
        "kind": kind,
        "upload": upload if upload is not None else UploadForm(),
        "report": report,
        "invite_form": invite_form,
        "done": done,
    }
    return render(request, "account_admin/import.html", context, status=status)


@area
@require_http_methods(["GET", "POST"])
def upload(request, kind):
    """Step 1: read and check the file; show the report and, if a line is accepted, the
    confirmation form carrying the file as read."""
    kind = _kind(kind)
    if request.method != "POST":
        return _page(request, kind)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, kind, upload=form, status=400)
    try:
        report = check(kind, decode(form.cleaned_data["file"].read()))
    except CsvUnreadable as exc:
        form.add_error("file", str(exc))
        return _page(request, kind, upload=form, status=400)
    invite_form = InviteForm(initial={"text": report.text, "kind": kind}) if report.accepted else None
    return _page(request, kind, upload=UploadForm(), report=report, invite_form=invite_form)


def _checked(kind: str, text: str):
    try:
        return check(kind, text) if text else None
    except CsvUnreadable:
        return None


@area
@require_http_methods(["POST"])
def confirm(request, kind):
    """Step 2: invite the accepted lines of the file (checked again) and show what was done. Sent
    twice (reloaded page), it invites nobody twice: the second time every address has an account."""
    kind = _kind(kind)
    form = InviteForm(request.POST)
    if not form.is_valid() or form.cleaned_data["kind"] != kind:
        report = _checked(kind, form.data.get("text", ""))
        invite_form = form if report is not None and report.accepted else None
        return _page(request, kind, report=report, invite_form=invite_form, status=400)
    try:
        report = invite(kind, form.cleaned_data["text"], by=request.user)
    except CsvUnreadable as exc:
        messages.error(request, str(exc))
        return _page(request, kind, status=400)
    return _page(request, kind, done=report)
