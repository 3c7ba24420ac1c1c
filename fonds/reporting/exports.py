"""Export services: selections, the files, and the one audit event every export leaves (who, the
selection, rows, size, SHA-256 of the exact bytes). The page's file and the command's file for
the same data are the same bytes."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import IO

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.http import QueryDict

from fonds import clock
from fonds.audit import chain as audit
from fonds.dossiers.access import visible_dossiers
from fonds.dossiers.models import Dossier
from fonds.dossiers.states import Status
from fonds.instruction.filters import filter_dossiers
from fonds.ops import outbox

from . import audit_export, decisions, formats, scdl
from .models import ExportJob

FORMATS = ExportJob.Format
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "scdl": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "jsonl": "application/x-ndjson; charset=utf-8",
}
EXTENSIONS = {"csv": "csv", "scdl": "csv", "xlsx": "xlsx", "ods": "ods"}


# ---------------------------------------------------------------------------------------------
# Selections
# ---------------------------------------------------------------------------------------------


def selection(
    *, user=None, campaign=None, saved_filter=None, querystring: str | None = None, filter_owner=None
):
    """``(queryset, description)`` of the dossiers to export, in a stable order.

    Drafts are never exported (not yet submitted: not a decision of the fund). A saved filter is
    re-run with ``fonds.instruction.filters.filter_dossiers`` as its owner would see it (the
    querystring is frozen on the job); ``user=None`` (a management command) sees every dossier.
    """

    base = Dossier.objects.all() if user is None else visible_dossiers(user)
    description: dict = {}
    if saved_filter is not None or querystring is not None:
        qs_text = querystring if querystring is not None else saved_filter.querystring
        owner = filter_owner or (saved_filter.user if saved_filter is not None else user)
        qs, form = filter_dossiers(owner, QueryDict(qs_text))
        if not form.is_valid():
            raise ValidationError(
                "Ce filtre enregistré n'est plus valide : "
                + "; ".join(str(e) for errs in form.errors.values() for e in errs)
            )
        qs = qs.filter(pk__in=base.values("pk")) if user is not None and base.query.where else qs
        description["saved_filter"] = {
            "id": getattr(saved_filter, "pk", None),
            "name": getattr(saved_filter, "name", ""),
            "querystring": qs_text,
        }
    else:
        qs = base.order_by("pk")
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
        description["campaign"] = {"id": campaign.pk, "name": campaign.name}
    if not description:
        description["all"] = True
    return qs.exclude(status=Status.DRAFT), description


def job_selection(job: ExportJob):
    if job.saved_filter_id is not None or job.querystring:
        return selection(
            campaign=job.campaign,
            saved_filter=job.saved_filter,
            querystring=job.querystring,
            filter_owner=job.filter_owner or job.user,
        )
    return selection(campaign=job.campaign)


# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------


class _Counter:
    def __init__(self, rows: Iterable):
        self.rows = rows
        self.count = 0

    def __iter__(self):
        for row in self.rows:
            self.count += 1
            yield row


class HashingWriter:
    """A binary file object that also computes the SHA-256 and size of what goes through it."""

    def __init__(self, raw: IO[bytes] | None = None):
        self.raw = raw
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        if self.raw is not None:
            self.raw.write(data)
        return len(data)

    def flush(self):
        if self.raw is not None:
            self.raw.flush()

    @property
    def sha256(self) -> str:
        return self.digest.hexdigest()


def csv_stream(
    qs,
    fmt: str,
    *,
    semicolon: bool = False,
    counter: _Counter | None = None,
    stats: dict | None = None,
    chunk_size: int = decisions.CHUNK,
) -> Iterator[bytes]:
    """The CSV or SCDL bytes, chunk by chunk (SCDL: ``stats`` gets the rows per source of
    ``idBeneficiaire``, see ``scdl.csv_chunks``). ``chunk_size``: dossiers read at a time for the
    CSV (memory grows with it: ≈ 8 KB a dossier)."""
    if fmt == FORMATS.SCDL:
        yield from scdl.csv_chunks(qs, counter=counter, stats=stats)
        return
    cols = decisions.columns(qs)
    rows = decisions.iter_rows(qs, cols, chunk_size=chunk_size)
    if counter is not None:
        counter.rows = rows
        rows = counter
    yield from formats.csv_chunks(cols, rows, semicolon=semicolon)


def write_decisions(
    out: IO[bytes],
    qs,
    fmt: str,
    *,
    semicolon: bool = False,
    progress: Callable[[int], None] | None = None,
    stats: dict | None = None,
    chunk_size: int = decisions.CHUNK,
) -> int:
    """Write the export in ``fmt`` to ``out``; return the number of dossiers (rows)."""
    if fmt in (FORMATS.CSV, FORMATS.SCDL):
        counter = _Counter(())
        for chunk in csv_stream(
            qs, fmt, semicolon=semicolon, counter=counter, stats=stats, chunk_size=chunk_size
        ):
            out.write(chunk)
        return counter.count
    cols = decisions.columns(qs)
    counter = _Counter(decisions.iter_rows(qs, cols, progress=progress))
    if fmt == FORMATS.XLSX:
        formats.write_xlsx(out, cols, counter)
    elif fmt == FORMATS.ODS:
        formats.write_ods(out, cols, counter)
    else:
        raise ValueError(f"format inconnu : {fmt}")
    return counter.count


def filename(fmt: str, description: dict) -> str:
    scope = "toutes-campagnes"
    if "campaign" in description:
        scope = f"campagne-{description['campaign']['id']}"
    if "saved_filter" in description:
        scope = f"filtre-{description['saved_filter']['id'] or 'fige'}"
    kind = "subventions-scdl" if fmt == FORMATS.SCDL else "decisions"
    return f"{kind}-{scope}.{EXTENSIONS[fmt]}"


# ---------------------------------------------------------------------------------------------
# The audit event of an export
# ---------------------------------------------------------------------------------------------


def _actor(user, label: str):
    if user is not None and getattr(user, "is_authenticated", False):
        return user, getattr(user, "main_role", "")
    return label, "system"


def record_export(action: str, *, user=None, actor_label: str = "", obj=None, payload: dict) -> None:
    actor, role = _actor(user, actor_label)
    with transaction.atomic():
        audit.append(action, actor=actor, role=role, obj=obj or ("reporting.export", "-"), payload=payload)


def _beneficiary_summary(fmt: str, stats: dict) -> dict:
    """SCDL: the rows per source of ``idBeneficiaire`` and the rows held back for want of a valid
    SIRET (reference and commune, by reference) — for the audit event and the command."""
    if fmt != FORMATS.SCDL:
        return {}
    return {
        "id_beneficiaire": {source: stats.get(source, 0) for source in scdl.SOURCES},
        "held_back": [row.as_dict() for row in stats.get(scdl.HELD_BACK_ROWS, [])],
    }


def _export_payload(
    fmt: str, semicolon: bool, description: dict, channel: str, rows: int, writer, stats
) -> dict:
    """The audit payload of a decisions export, the same for the web, the job and the command."""
    return {
        "format": fmt,
        "semicolon": semicolon,
        "filter": description,
        "rows": rows,
        "size": writer.size,
        "sha256": writer.sha256,
        "channel": channel,
        **_beneficiary_summary(fmt, stats),
    }


def stream_decisions(user, qs, description: dict, fmt: str, *, semicolon: bool = False) -> Iterator[bytes]:
    """The CSV/SCDL bytes for an HTTP response; the audit event is appended once all is sent."""
    counter = _Counter(())
    hasher = HashingWriter()
    stats: dict = {}
    for chunk in csv_stream(qs, fmt, semicolon=semicolon, counter=counter, stats=stats):
        hasher.write(chunk)
        yield chunk
    record_export(
        "export_decisions",
        user=user,
        obj=("reporting.export", "flux"),
        payload=_export_payload(fmt, semicolon, description, "web", counter.count, hasher, stats),
    )


def export_to_file(
    path: str,
    fmt: str,
    *,
    campaign=None,
    semicolon: bool = False,
    actor_label: str = "manage.py export_decisions",
) -> dict:
    """The command's export: write, hash, record. Returns ``{rows, size, sha256}`` (SCDL: and
    ``id_beneficiaire``, the rows per source of the beneficiary's identifier)."""
    qs, description = selection(campaign=campaign)
    stats: dict = {}
    with open(path, "wb") as fh:
        writer = HashingWriter(fh)
        rows = write_decisions(writer, qs, fmt, semicolon=semicolon, stats=stats)
    payload = _export_payload(fmt, semicolon, description, "command", rows, writer, stats)
    record_export(
        "export_decisions", actor_label=actor_label, obj=("reporting.export", "commande"), payload=payload
    )
    return {
        key: value
        for key, value in payload.items()
        if key not in ("format", "semicolon", "filter", "channel")
    }


# ---------------------------------------------------------------------------------------------
# Jobs (XLSX / ODS, and any format from the API)
# ---------------------------------------------------------------------------------------------


def create_job(user, fmt: str, *, campaign=None, saved_filter=None, semicolon: bool = False) -> ExportJob:
    """Freeze the request (the saved filter's querystring) and queue the build (outbox)."""
    if fmt not in FORMATS.values:
        raise ValidationError("Format d'export inconnu.")
    job = ExportJob(user=user, format=fmt, semicolon=bool(semicolon), campaign=campaign)
    if saved_filter is not None:
        job.saved_filter = saved_filter
        job.querystring = saved_filter.querystring
        job.filter_owner = saved_filter.user
    job_selection(job)  # refuses an invalid saved filter now, with its French message
    with transaction.atomic():
        job.save()
        outbox.enqueue("fonds.reporting.tasks.build_export", job.pk)
    return job


def build_job(job_id: int) -> ExportJob:
    """Build a job's file (idempotent: a finished job is left as it is; a redelivered task that
    started before another delivery finished finds the job done and keeps that file)."""
    job = ExportJob.objects.get(pk=job_id)
    if job.finished:
        return job
    qs, description = job_selection(job)
    total = qs.count()
    unfinished = ExportJob.objects.filter(
        pk=job.pk, state__in=[ExportJob.State.PENDING, ExportJob.State.RUNNING]
    )
    if not unfinished.update(state=ExportJob.State.RUNNING, rows_total=total, rows_done=0):
        return ExportJob.objects.get(pk=job.pk)  # finished meanwhile: never set it back to running

    def progress(done: int) -> None:
        ExportJob.objects.filter(pk=job.pk, state=ExportJob.State.RUNNING).update(rows_done=done)

    tmp = tempfile.NamedTemporaryFile(prefix="fjj-export-", delete=False)
    stats: dict = {}
    try:
        try:
            with tmp:
                writer = HashingWriter(tmp)
                rows = write_decisions(
                    writer, qs, job.format, semicolon=job.semicolon, progress=progress, stats=stats
                )
        except Exception as exc:
            ExportJob.objects.filter(pk=job.pk, state=ExportJob.State.RUNNING).update(
                state=ExportJob.State.FAILED, error=str(exc)[:2000], finished_at=clock.now()
            )
            raise
        with transaction.atomic():
            job = ExportJob.objects.select_for_update().get(pk=job.pk)
            if job.finished:
                return job
            with open(tmp.name, "rb") as fh:
                job.file.save(filename(job.format, description), File(fh), save=False)
            job.size, job.sha256, job.rows_done = writer.size, writer.sha256, rows
            job.state, job.finished_at = ExportJob.State.DONE, clock.now()
            job.save()
            actor, role = _actor(job.user, "")
            audit.append(
                "export_decisions",
                actor=actor,
                role=role,
                obj=job,
                payload=_export_payload(job.format, job.semicolon, description, "job", rows, writer, stats),
            )
        return job
    finally:
        if os.path.exists(tmp.name):
            os.unlink(tmp.name)


# ---------------------------------------------------------------------------------------------
# Audit-trail export
# ---------------------------------------------------------------------------------------------


def _audit_payload(dossier_id, writer: HashingWriter, lines: int, channel: str) -> dict:
    return {
        "scope": "dossier" if dossier_id else "all",
        "dossier": dossier_id,
        "rows": lines,
        "size": writer.size,
        "sha256": writer.sha256,
        "channel": channel,
    }


def write_audit_export(
    fh: IO[bytes], *, dossier_id: int | None = None, actor: str = "manage.py export_audit"
) -> dict:
    writer = HashingWriter(fh)
    lines = audit_export.write_export(writer, dossier_id=dossier_id)
    payload = _audit_payload(dossier_id, writer, lines, "command")
    record_export(
        "export_audit",
        actor_label=actor,
        obj=("reporting.export", f"piste-dossier-{dossier_id}" if dossier_id else "piste"),
        payload=payload,
    )
    return payload


def stream_audit_export(user, dossier_id: int | None = None) -> Iterator[bytes]:
    writer = HashingWriter()
    lines = -1
    for chunk in audit_export.iter_export_bytes(dossier_id):
        writer.write(chunk)
        lines += chunk.count(b"\n")
        yield chunk
    record_export(
        "export_audit",
        user=user,
        obj=("reporting.export", f"piste-dossier-{dossier_id}" if dossier_id else "piste"),
        payload=_audit_payload(dossier_id, writer, lines, "web"),
    )
