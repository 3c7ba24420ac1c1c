"""The campaign archive, written entry by entry to a temporary file (``zipfile``: each entry is
streamed in, never the whole archive in memory; a dossier's PDF is copied in 1 MiB blocks), then
stored with its SHA-256 and audited. Contents (``LISEZMOI.txt`` says the same to the auditor):

    dossiers/<référence>.pdf            each dossier's complete PDF, auditor's version (sealed)
    decisions/decisions.csv             the decision export (CSV, as the « Contrôle » page)
    decisions/decisions-scdl.csv        the same in SCDL (when the fund's SIRET is configured)
    piste-audit/piste-audit.jsonl       the whole audit trail export
    piste-audit/ancrages.json           its RFC 3161 anchors
    verification/verify_audit_export.py the standalone verifier (Python 3, asn1crypto, cryptography)
    empreintes.sha256                   SHA-256 of every file above (``sha256sum -c`` format)

Idempotent: a finished archive is left as it is; a retried build starts the ZIP again, the
complete PDFs already made are reused (``store_once``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files import File
from django.db import transaction

from fonds import clock
from fonds.anchors.export import write_anchors
from fonds.audit import chain as audit
from fonds.dossiers.models import Dossier
from fonds.dossiers.states import Status
from fonds.ops import outbox
from fonds.reporting import audit_export, exports
from fonds.reporting.scdl import fund_siret

from . import complete
from .audiences import Audience
from .models import CampaignArchive

VERIFIER = Path(settings.BASE_DIR) / "scripts" / "verify_audit_export.py"
BLOCK = 1 << 20
#: progress is written every this many dossiers (one UPDATE each)
PROGRESS_EVERY = 10
#: the decision export and the trail read in smaller chunks than their own defaults (2,000
#: dossiers, 5,000 events): the archive's worker already holds WeasyPrint's and the PDFs' memory,
#: and those chunks cost 17 MB and 13 MB more at their peak (bench_archive: the 200 MB target)
EXPORT_DOSSIERS_AT_A_TIME = 500
EXPORT_EVENTS_AT_A_TIME = 1000


def create(user, campaign) -> CampaignArchive:
    """Record the request and queue the build (outbox), in one transaction."""
    with transaction.atomic():
        job = CampaignArchive.objects.create(campaign=campaign, created_by=user)
        outbox.enqueue("fonds.proof.tasks.build_campaign_archive", job.pk)
    return job


def dossiers(campaign):
    """The dossiers archived: every submitted one of the campaign (drafts are no decision)."""
    return Dossier.objects.filter(campaign=campaign).exclude(status=Status.DRAFT).order_by("pk")


class _Entry:
    """A ZIP entry being written, hashed as it goes (for ``empreintes.sha256``)."""

    def __init__(self, raw):
        self.raw = raw
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return self.raw.write(data)

    def flush(self):
        pass


class _Writer:
    def __init__(self, zf: zipfile.ZipFile):
        self.zf = zf
        self.sums: list[tuple[str, str]] = []

    def entry(self, name: str, fill, *, stored: bool = False):
        info = zipfile.ZipInfo(name, date_time=clock.localnow().timetuple()[:6])
        info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        with self.zf.open(info, "w", force_zip64=True) as raw:
            entry = _Entry(raw)
            result = fill(entry)
        self.sums.append((entry.digest.hexdigest(), name))
        return result


def _readme(job: CampaignArchive, *, count: int, scdl_note: str, head: tuple[int, str]) -> bytes:
    lines = [
        f"Archive de la campagne « {job.campaign.name} » — {settings.FJJ_FUND_NAME}",
        f"Constituée le {clock.localnow():%d/%m/%Y à %H:%M} (archive n° {job.pk}).",
        "",
        f"dossiers/                       le dossier complet de chacun des {count} dossiers déposés,",
        "                                 version de l'audit (PDF scellé par le fonds)",
        "decisions/decisions.csv         l'export des décisions (CSV)",
        f"decisions/decisions-scdl.csv    {scdl_note}",
        f"piste-audit/piste-audit.jsonl   la piste d'audit entière (tête n° {head[0]}, {head[1]})",
        "piste-audit/ancrages.json       ses ancrages horodatés (RFC 3161)",
        "verification/verify_audit_export.py  le vérificateur autonome",
        "empreintes.sha256               l'empreinte SHA-256 de chaque fichier",
        "                                (vérifier : sha256sum -c empreintes.sha256)",
        "",
        "Vérifier la piste et ses ancrages (Python 3 avec asn1crypto et cryptography) :",
        "  python3 verification/verify_audit_export.py piste-audit/piste-audit.jsonl \\",
        "      --anchors piste-audit/ancrages.json [--tsa-cert racine-autorite-horodatage.pem]",
        "Chaque PDF se termine par l'empreinte du dernier événement de son dossier : la retrouver dans",
        "la piste vérifiée. L'empreinte SHA-256 de cette archive est inscrite à la piste d'audit",
        "(événement campaign_archive_built).",
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _copy_file(field_file):
    def fill(out):
        with field_file.open("rb") as fh:
            shutil.copyfileobj(fh, out, BLOCK)

    return fill


def write_archive(job: CampaignArchive, fileobj, progress=None) -> int:
    """Write the ZIP to ``fileobj`` (a seekable binary file); return the number of entries."""
    qs = dossiers(job.campaign)
    count = qs.count()
    head = audit_export.head()
    try:
        fund_siret()
        scdl_ok, scdl_note = True, "le même export au format SCDL (données essentielles des subventions)"
    except ImproperlyConfigured:
        scdl_ok, scdl_note = False, "absent : le SIRET du fonds n'est pas configuré (FJJ_SIRET)"
    with zipfile.ZipFile(fileobj, "w", allowZip64=True) as zf:
        writer = _Writer(zf)
        writer.entry(
            "LISEZMOI.txt", lambda out: out.write(_readme(job, count=count, scdl_note=scdl_note, head=head))
        )
        done = 0
        for dossier in qs.only("pk", "reference").iterator(chunk_size=200):
            document = complete.ensure(dossier.pk, Audience.AUDITEUR)
            writer.entry(f"dossiers/{dossier.reference}.pdf", _copy_file(document.file), stored=True)
            done += 1
            if progress is not None and (done % PROGRESS_EVERY == 0 or done == count):
                progress(done)
        writer.entry(
            "decisions/decisions.csv",
            lambda out: exports.write_decisions(out, qs, "csv", chunk_size=EXPORT_DOSSIERS_AT_A_TIME),
        )
        if scdl_ok:
            writer.entry("decisions/decisions-scdl.csv", lambda out: exports.write_decisions(out, qs, "scdl"))
        writer.entry(
            "piste-audit/piste-audit.jsonl",
            lambda out: audit_export.write_export(out, chunk_size=EXPORT_EVENTS_AT_A_TIME),
        )
        writer.entry("piste-audit/ancrages.json", write_anchors)
        writer.entry("verification/verify_audit_export.py", _copy_path(VERIFIER))
        sums = "".join(f"{digest}  {name}\n" for digest, name in writer.sums).encode()
        writer.entry("empreintes.sha256", lambda out: out.write(sums))
        return len(writer.sums)


def _copy_path(path: Path):
    def fill(out):
        with open(path, "rb") as fh:
            shutil.copyfileobj(fh, out, BLOCK)

    return fill


def _sha256(path: str) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        while block := fh.read(BLOCK):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def build(job_id: int) -> CampaignArchive:
    """Build the archive of a job (the task's body)."""
    job = CampaignArchive.objects.select_related("campaign").get(pk=job_id)
    if job.is_over:
        return job
    total = dossiers(job.campaign).count()
    started = CampaignArchive.objects.filter(
        pk=job.pk, status__in=[CampaignArchive.State.QUEUED, CampaignArchive.State.RUNNING]
    ).update(status=CampaignArchive.State.RUNNING, total=total, done=0)
    if not started:
        return CampaignArchive.objects.get(pk=job.pk)

    def progress(done: int) -> None:
        CampaignArchive.objects.filter(pk=job.pk, status=CampaignArchive.State.RUNNING).update(done=done)

    tmp = tempfile.NamedTemporaryFile(prefix="fjj-archive-", suffix=".zip", delete=False)
    try:
        try:
            with tmp:
                entries = write_archive(job, tmp, progress)
        except Exception as exc:
            CampaignArchive.objects.filter(pk=job.pk, status=CampaignArchive.State.RUNNING).update(
                status=CampaignArchive.State.FAILED, error=str(exc)[:2000], finished_at=clock.now()
            )
            raise
        sha256, size = _sha256(tmp.name)
        with transaction.atomic():
            job = CampaignArchive.objects.select_for_update().select_related("campaign").get(pk=job.pk)
            if job.is_over:
                return job
            with open(tmp.name, "rb") as fh:
                job.file.save(filename(job), File(fh), save=False)
            job.sha256, job.size, job.entries, job.done = sha256, size, entries, total
            job.status, job.finished_at = CampaignArchive.State.FINISHED, clock.now()
            job.save()
            audit.append(
                "campaign_archive_built",
                actor=None,
                role="system",
                obj=job,
                payload={
                    "campaign": job.campaign_id,
                    "requested_by": job.created_by_id,
                    "dossiers": total,
                    "entries": entries,
                    "size": size,
                    "sha256": sha256,
                },
            )
        return job
    finally:
        if os.path.exists(tmp.name):
            os.unlink(tmp.name)


def filename(job: CampaignArchive) -> str:
    return f"archive-campagne-{job.campaign_id}-{job.pk}.zip"
