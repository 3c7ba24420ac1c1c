"""Bulk invitations as a background job (``fonds.depot.models.InvitationImport``).

``create`` checks an uploaded file and keeps it with its report: nothing is invited. ``confirm``
queues the Celery task through the outbox. ``run`` (the task) checks the file again (accounts may
have been created since) and invites the accepted lines in chunks of ``CHUNK``, each chunk ONE
transaction that also advances ``done``: a retried task resumes after the last committed chunk,
so no line is invited twice. Each invitation is audited as one ``account_invited`` event. A
finished import keeps its counts and refused lines, not the file.
"""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction

from fonds import clock
from fonds.accounts.models import User
from fonds.accounts.roles import Role, has_role
from fonds.ops import outbox
from fonds.referentiel.models import Commune
from fonds.refusals import Refused

from ..models import InvitationImport
from .csv_import import MAYORS, Report, check, invite_line, line_data

#: lines invited per transaction: about 0.5 s of write lock on SQLite (bench/bench_csv_invite.py)
CHUNK = 100
TAKEN = "un compte existe déjà à cette adresse"


class ImportRefused(Refused):
    """An import the rules refuse (not an administrator, nothing to invite)."""


def _require_admin(by) -> None:
    if not has_role(by, Role.ADMIN):
        raise ImportRefused("role", "Seul un administrateur du fonds invite des comptes.")


def _keep(job: InvitationImport, report: Report) -> None:
    job.lines = len(report.lines)
    job.accepted = [line_data(line) for line in report.accepted]
    job.refused = [line_data(line) for line in report.refused]
    job.total = len(job.accepted)
    job.campaign_name = report.campaign.name if report.campaign else ""
    job.max_population = report.max_population


def create(kind: str, text: str, *, by) -> InvitationImport:
    """Check ``text`` (raises ``CsvUnreadable``) and keep it with its report, to be confirmed."""
    _require_admin(by)
    report = check(kind, text)
    job = InvitationImport(kind=kind, text=report.text, created_by=by)
    _keep(job, report)
    job.save()
    return job


def confirm(job_id: int, *, by) -> InvitationImport:
    """Queue the invitations of a checked import (idempotent: a confirmed import stays as it is)."""
    _require_admin(by)
    with transaction.atomic():
        job = InvitationImport.objects.select_for_update().get(pk=job_id)
        if job.status != InvitationImport.State.CHECKED:
            return job
        if not job.total:
            raise ImportRefused("condition", "Aucune ligne du fichier n'est acceptée : rien à inviter.")
        job.status, job.confirmed_at = InvitationImport.State.QUEUED, clock.now()
        job.save(update_fields=["status", "confirmed_at"])
        outbox.enqueue("fonds.depot.tasks.run_invitation_import", job.pk)
    return job


def _begin(job_id: int) -> InvitationImport:
    """Check the file again and freeze the lines to invite (a queued job only)."""
    with transaction.atomic():
        job = InvitationImport.objects.select_for_update().get(pk=job_id)
        if job.status == InvitationImport.State.QUEUED:
            _keep(job, check(job.kind, job.text))
            job.status, job.done, job.invited = InvitationImport.State.RUNNING, 0, 0
            job.save()
    return job


def _chunk(job: InvitationImport, size: int) -> bool:
    """Invite the next ``size`` lines in one transaction; False once there is nothing left."""
    with transaction.atomic():
        status, done, invited = (
            InvitationImport.objects.select_for_update()
            .filter(pk=job.pk)
            .values_list("status", "done", "invited")
            .get()
        )
        if status != InvitationImport.State.RUNNING:
            return False
        lines = job.accepted[done : done + size]
        if not lines:  # done: the file and the lines to invite are no longer needed (personal data)
            InvitationImport.objects.filter(pk=job.pk).update(
                status=InvitationImport.State.FINISHED, finished_at=clock.now(), text="", accepted=[]
            )
            return False
        taken = set(
            User.objects.filter(email__in=[line["email"] for line in lines]).values_list("email", flat=True)
        )
        communes = Commune.objects.in_bulk([line["insee"] for line in lines if line["insee"]])
        groups = {name: Group.objects.get_or_create(name=name)[0] for name in Role.values}
        late = []
        for line in lines:
            if line["email"] in taken:  # an account created since the file was checked
                late.append({**line, "reasons": [TAKEN]})
                continue
            commune = communes.get(line["insee"]) if job.kind == MAYORS else None
            invite_line(line, commune=commune, groups=groups, by=job.created_by, source=_source(job))
            invited += 1
        changes = {"done": done + len(lines), "invited": invited}
        if late:
            refused = InvitationImport.objects.values_list("refused", flat=True).get(pk=job.pk)
            changes["refused"] = sorted([*refused, *late], key=lambda line: line["number"])
        InvitationImport.objects.filter(pk=job.pk).update(**changes)
    return True


def _source(job: InvitationImport) -> str:
    return f"import CSV ({job.kind}) n° {job.pk}"


def run(job_id: int, chunk: int = CHUNK) -> InvitationImport:
    """Run a confirmed import to its end (idempotent: resumes after the last committed chunk)."""
    try:
        job = _begin(job_id)
        if job.status == InvitationImport.State.RUNNING:
            job = InvitationImport.objects.select_related("created_by").get(pk=job_id)
            while _chunk(job, chunk):
                pass
    except Exception as exc:  # the page says the import stopped; invited lines stay invited
        InvitationImport.objects.filter(pk=job_id).exclude(status=InvitationImport.State.FINISHED).update(
            status=InvitationImport.State.FAILED,
            error=f"{exc.__class__.__name__} : {exc}"[:2000],
            finished_at=clock.now(),
        )
        raise
    return InvitationImport.objects.defer("text").get(pk=job_id)
