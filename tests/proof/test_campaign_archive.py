"""The campaign archive for auditors (issue 21, d): one ZIP with each dossier's complete PDF
(auditor's version), the decision exports, the trail with its anchors and the standalone
verifier; built by a job through the outbox, its SHA-256 audited, downloadable by auditors only."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess
import sys
import zipfile

import pytest
from django.urls import reverse
from pypdf import PdfReader

from fonds.audit.models import AuditEvent
from fonds.proof import archive
from fonds.proof.models import CampaignArchive
from tests.factories import make_campaign, make_dossier, make_user
from tests.reporting.helpers import dossier_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    campaign = make_campaign()
    dossier_in("closed", campaign=campaign)
    dossier_in("rejected", campaign=campaign)
    dossier_in("in_instruction", campaign=campaign)
    make_dossier(campaign=campaign)  # a draft: no decision, not archived
    return campaign


@pytest.fixture
def built(campaign, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = archive.create(make_user("auditeur"), campaign)
    job.refresh_from_db()
    return job


def _zip(job) -> zipfile.ZipFile:
    with job.file.open("rb") as fh:
        return zipfile.ZipFile(io.BytesIO(fh.read()))


def test_the_archive_holds_each_submitted_dossiers_complete_pdf(built, campaign):
    assert built.status == CampaignArchive.State.FINISHED and built.total == built.done == 3
    zf = _zip(built)
    expected = {f"dossiers/{d.reference}.pdf" for d in archive.dossiers(campaign)}
    assert {n for n in zf.namelist() if n.startswith("dossiers/")} == expected
    for name in expected:
        reader = PdfReader(io.BytesIO(zf.read(name)))
        assert "version de l'audit" in reader.pages[0].extract_text()


def test_the_archive_holds_the_decision_export_the_trail_its_anchors_and_the_verifier(built, tmp_path):
    zf = _zip(built)
    names = set(zf.namelist())
    assert {
        "LISEZMOI.txt",
        "decisions/decisions.csv",
        "piste-audit/piste-audit.jsonl",
        "piste-audit/ancrages.json",
        "verification/verify_audit_export.py",
        "empreintes.sha256",
    } <= names
    rows = list(csv.reader(io.StringIO(zf.read("decisions/decisions.csv").decode("utf-8-sig"))))
    assert len(rows) == 1 + 3
    assert json.loads(zf.read("piste-audit/ancrages.json"))["format"] == "fjj-audit-anchors"
    zf.extractall(tmp_path)
    result = subprocess.run(
        [
            sys.executable,
            str(tmp_path / "verification/verify_audit_export.py"),
            str(tmp_path / "piste-audit/piste-audit.jsonl"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_scdl_export_is_there_when_the_funds_siret_is_configured(
    campaign, settings, django_capture_on_commit_callbacks
):
    settings.FJJ_SIRET = "13000000000000"
    with django_capture_on_commit_callbacks(execute=True):
        job = archive.create(make_user("auditeur"), campaign)
    job.refresh_from_db()
    assert "decisions/decisions-scdl.csv" in _zip(job).namelist()


def test_every_file_of_the_archive_has_its_sha256_in_the_manifest(built):
    zf = _zip(built)
    sums = dict(line.split("  ", 1)[::-1] for line in zf.read("empreintes.sha256").decode().splitlines())
    assert set(sums) == set(zf.namelist()) - {"empreintes.sha256"}
    for name, digest in sums.items():
        assert hashlib.sha256(zf.read(name)).hexdigest() == digest


def test_the_archives_sha256_is_in_the_audit_trail(built):
    with built.file.open("rb") as fh:
        data = fh.read()
    assert built.sha256 == hashlib.sha256(data).hexdigest() and built.size == len(data)
    event = AuditEvent.objects.get(action="campaign_archive_built", object_id=str(built.pk))
    assert f'"sha256":"{built.sha256}"' in event.canonical


def test_an_auditor_launches_follows_and_downloads_an_archive(
    client, campaign, django_capture_on_commit_callbacks
):
    client.force_login(make_user("auditeur"))
    assert client.get(reverse("proof:archives")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("proof:archives"), {"campaign": campaign.pk})
    job = CampaignArchive.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("proof:archive", args=[job.pk])
    assert "Télécharger l'archive" in client.get(reverse("proof:archive", args=[job.pk])).content.decode()
    status = client.get(reverse("proof:archive-status", args=[job.pk])).json()
    assert status["status"] == "finished" and status["percent"] == 100
    download = client.get(reverse("proof:archive-file", args=[job.pk]))
    assert download["Content-Type"] == "application/zip"
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == status["sha256"]


def test_a_campaign_must_be_chosen(client):
    client.force_login(make_user("auditeur"))
    response = client.post(reverse("proof:archives"), {})
    assert response.status_code == 400 and "Choisissez la campagne" in response.content.decode()
    assert not CampaignArchive.objects.exists()


def test_the_file_of_an_unfinished_archive_leads_to_its_progress_page(client, campaign):
    auditor = make_user("auditeur")
    job = CampaignArchive.objects.create(campaign=campaign, created_by=auditor)
    client.force_login(auditor)
    response = client.get(reverse("proof:archive-file", args=[job.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("proof:archive", args=[job.pk])


@pytest.mark.parametrize("role", ["admin", "instructeur", "comite", "finance"])
def test_archives_are_for_auditors_only(client, role, built):
    client.force_login(make_user(role))
    assert client.get(reverse("proof:archives")).status_code == 403
    assert client.get(reverse("proof:archive-file", args=[built.pk])).status_code == 403


def test_a_finished_archive_is_not_built_again(built):
    again = archive.build(built.pk)
    assert again.sha256 == built.sha256
    assert AuditEvent.objects.filter(action="campaign_archive_built").count() == 1


def test_the_control_page_leads_auditors_to_the_archives(client):
    client.force_login(make_user("auditeur"))
    assert reverse("proof:archives") in client.get(reverse("reporting:home")).content.decode()
    client.force_login(make_user("admin"))
    assert reverse("proof:archives") not in client.get(reverse("reporting:home")).content.decode()
