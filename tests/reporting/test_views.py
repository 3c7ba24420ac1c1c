"""The « Contrôle » pages: exports for auditors and admins, audit downloads, history PDF."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.urls import reverse

from fonds.audit import chain as audit
from fonds.audit.models import AuditEvent
from fonds.reporting import exports
from fonds.reporting.models import ExportJob
from tests.factories import make_campaign, make_user

from .helpers import dossier_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def data():
    campaign = make_campaign()
    a = dossier_in("closed", campaign=campaign)
    b = dossier_in("rejected", campaign=campaign)
    return campaign, a, b


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("role", ["instructeur", "porteur", "comite", "finance"])
def test_controle_pages_reserved_to_auditors_and_admins(client, role):
    client.force_login(make_user(role))
    assert client.get(reverse("reporting:home")).status_code == 403
    assert client.get(reverse("reporting:audit")).status_code == 403


def test_exports_page_lists_formats_and_nav_entry(client, data, django_assert_max_num_queries):
    client.force_login(make_user("auditeur"))
    with django_assert_max_num_queries(12):
        response = client.get(reverse("reporting:home"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'aria-current="page">Contrôle</a>' in html
    for label in ("CSV", "XLSX (Excel)", "ODS (LibreOffice, OpenDocument)", "SCDL"):
        assert label in html
    assert "Séparateur point-virgule" in html


def test_exports_page_lists_the_awards_held_back_for_want_of_a_siret(client, data):
    """The closed dossier's commune has no bank details, hence no SIRET: the page lists it (held
    back from the SCDL file) with a link to what must be completed (one query, in the bound above)."""
    _, closed, _ = data
    client.force_login(make_user("auditeur"))
    html = client.get(reverse("reporting:home")).content.decode()
    assert 'id="scdl-siret"' in html and 'id="scdl-held-back"' in html
    assert "1 subvention sur 1 retenue" in html and closed.reference in html and closed.commune.name in html
    assert reverse("dossier-detail", args=[closed.pk]) in html and "Aucune coordonnée bancaire" in html


def test_exports_page_links_to_the_bank_details_when_the_siret_is_missing_there(client, data):
    from fonds.payments.models import BankDetails

    _, closed, _ = data
    BankDetails.objects.create(
        commune=closed.commune, iban="FR7630006000011234567890189", bic="AGRIFRPP", holder="Commune", siret=""
    )
    client.force_login(make_user("auditeur"))
    html = client.get(reverse("reporting:home")).content.decode()
    assert (
        reverse("payments:bank", args=[closed.commune_id]) in html and "SIRET de la mairie non saisi" in html
    )


def test_ui_csv_is_the_same_bytes_as_the_command(client, data, tmp_path):
    from django.core.management import call_command

    campaign, *_ = data
    client.force_login(make_user("auditeur"))
    response = client.get(
        reverse("reporting:csv"), {"format": "csv", "campaign": campaign.pk, "semicolon": "on"}
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    ui = body(response)
    path = tmp_path / "cmd.csv"
    call_command(
        "export_decisions", "--format", "csv", "--campaign", str(campaign.pk), "--semicolon", "-o", str(path)
    )
    assert ui == path.read_bytes()
    event = (
        AuditEvent.objects.filter(action="export_decisions", actor_role="auditeur").order_by("-seq").first()
    )
    assert audit.event_payload(event)["sha256"] == hashlib.sha256(ui).hexdigest()


def test_posting_csv_redirects_to_the_streamed_download(client, data):
    campaign, *_ = data
    client.force_login(make_user("admin"))
    response = client.post(reverse("reporting:launch"), {"format": "csv", "campaign": campaign.pk})
    assert response.status_code == 302 and reverse("reporting:csv") in response["Location"]


def test_xlsx_job_progress_and_download(client, data, django_capture_on_commit_callbacks):
    campaign, *_ = data
    client.force_login(make_user("auditeur"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reporting:launch"), {"format": "xlsx", "campaign": campaign.pk})
    assert response.status_code == 302
    job_url = response["Location"]
    page = client.get(job_url).content.decode()
    assert "<progress" in page and "Télécharger le fichier" in page
    job_id = int(job_url.rstrip("/").split("/")[-1])
    status = client.get(reverse("reporting:job-status", args=[job_id])).json()
    assert status["state"] == "done" and status["percent"] == 100 and status["rows_done"] == 2
    download = client.get(status["download_url"])
    assert hashlib.sha256(body(download)).hexdigest() == status["sha256"]


def test_another_users_job_is_not_found(client, data, django_capture_on_commit_callbacks):
    campaign, *_ = data
    with django_capture_on_commit_callbacks(execute=True):
        job = exports.create_job(make_user("auditeur"), "ods", campaign=campaign)
    client.force_login(make_user("auditeur"))
    assert client.get(reverse("reporting:job", args=[job.pk])).status_code == 404
    assert client.get(reverse("reporting:job-download", args=[job.pk])).status_code == 404


def test_invalid_form_rerenders_with_french_error(client):
    client.force_login(make_user("auditeur"))
    response = client.post(reverse("reporting:launch"), {"format": "pdf"})
    assert response.status_code == 400 and "Sélectionnez un choix valide" in response.content.decode()


def test_scdl_without_fund_siret_explains_in_french(client, data, settings):
    settings.FJJ_SIRET = ""
    client.force_login(make_user("auditeur"))
    response = client.get(reverse("reporting:csv"), {"format": "scdl"})
    assert response.status_code == 400 and "SIRET du fonds" in response.content.decode()


def test_audit_downloads_stream_and_are_recorded(client, data):
    _, a, _ = data
    client.force_login(make_user("auditeur"))
    whole = body(client.get(reverse("reporting:audit")))
    assert json.loads(whole.split(b"\n")[0])["scope"] == "all"
    one = body(client.get(reverse("reporting:dossier-audit", args=[a.pk])))
    lines = one.split(b"\n")[:-1]
    assert json.loads(lines[0])["dossier"] == a.pk and len(lines) == 1 + 9
    payload = audit.event_payload(AuditEvent.objects.filter(action="export_audit").order_by("-seq").first())
    assert payload["scope"] == "dossier" and payload["sha256"] == hashlib.sha256(one).hexdigest()


def test_history_pdf_ends_with_hash_of_last_event(client, data):
    from io import BytesIO

    from pypdf import PdfReader

    _, a, _ = data
    client.force_login(make_user("auditeur"))
    response = client.get(reverse("reporting:dossier-history", args=[a.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(response.content)).pages).replace(
        "\n", ""
    )
    last = (
        AuditEvent.objects.filter(object_type="dossiers.dossier", object_id=str(a.pk))
        .order_by("-seq")
        .first()
    )
    assert last.hash in text.replace(" ", "")
    assert f"n° {last.seq}" in text


def test_history_pdf_refused_to_porteur(client, data):
    _, a, _ = data
    client.force_login(a.created_by)
    assert client.get(reverse("reporting:dossier-history", args=[a.pk])).status_code == 403


def test_dossier_page_links_to_history_pdf(client, data):
    _, a, _ = data
    client.force_login(make_user("auditeur"))
    html = client.get(reverse("instruction:dossier", args=[a.pk])).content.decode()
    assert reverse("reporting:dossier-history", args=[a.pk]) in html
    assert reverse("reporting:dossier-audit", args=[a.pk]) in html


def test_export_not_ready_download_leads_to_its_progress_page(client, data):
    campaign, *_ = data
    user = make_user("auditeur")
    job = exports.create_job(user, "ods", campaign=campaign)  # queued: no commit in a test
    client.force_login(user)
    response = client.get(reverse("reporting:job-download", args=[job.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("reporting:job", args=[job.pk])
    page = client.get(response["Location"]).content.decode()
    assert reverse("reporting:job-status", args=[job.pk]) in page and 'aria-live="polite"' in page
    assert "<progress" in page and "réessayez" not in page.lower()


def test_export_failed_says_so_and_where_to_get_help(client, data):
    campaign, *_ = data
    user = make_user("auditeur")
    job = exports.create_job(user, "ods", campaign=campaign)
    ExportJob.objects.filter(pk=job.pk).update(state=ExportJob.State.FAILED, error="disque plein")
    client.force_login(user)
    assert client.get(reverse("reporting:job-download", args=[job.pk])).status_code == 302
    page = client.get(reverse("reporting:job", args=[job.pk])).content.decode()
    assert "L'export a échoué" in page and "disque plein" in page
    assert "signalez-le à l'administrateur" in page and reverse("reporting:home") in page
