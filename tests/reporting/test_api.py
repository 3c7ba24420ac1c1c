"""The « Contrôle » API: decisions, exports, audit trail — auditor token, OpenAPI schema."""

from __future__ import annotations

import hashlib
import json

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from fonds.audit.models import AuditEvent
from fonds.reporting.models import ExportJob
from tests.factories import make_campaign, make_user

from .helpers import dossier_in

pytestmark = pytest.mark.django_db


def client_for(role):
    user = make_user(role)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client, user


@pytest.fixture
def data():
    campaign = make_campaign()
    a = dossier_in("closed", campaign=campaign)
    b = dossier_in("rejected", campaign=campaign)
    return campaign, a, b


@pytest.mark.parametrize("role", ["instructeur", "porteur", "finance"])
def test_api_refused_to_other_roles(role):
    client, _ = client_for(role)
    for url in ("/api/v1/decisions/", "/api/v1/audit-trail/", "/api/v1/audit-trail/export/"):
        assert client.get(url).status_code == 403
    assert client.post("/api/v1/exports/", {"format": "csv"}, format="json").status_code == 403


def test_decisions_paginated_with_columns(data):
    campaign, a, b = data
    client, _ = client_for("auditeur")
    response = client.get("/api/v1/decisions/", {"campaign": campaign.pk, "page_size": 1})
    body = response.json()
    assert response.status_code == 200 and body["count"] == 2 and body["next"] == 2
    assert (
        body["results"][0]["reference"] == a.reference and body["results"][0]["montant_accorde"] == "5000.00"
    )
    assert {"key": "code_insee", "label": "Code INSEE", "type": "text"} in body["columns"]
    second = client.get("/api/v1/decisions/", {"campaign": campaign.pk, "page_size": 1, "page": 2}).json()
    assert second["results"][0]["reference"] == b.reference and second["next"] is None


@pytest.mark.parametrize(
    "params",
    [{"campaign": "x"}, {"page_size": "100000"}, {"page": "0"}, {"campaign": "99999999999999999999"}],
)
def test_decisions_bad_parameters_are_400(params):
    client, _ = client_for("auditeur")
    assert client.get("/api/v1/decisions/", params).status_code == 400


def test_export_launch_status_and_download(data, django_capture_on_commit_callbacks):
    campaign, *_ = data
    client, user = client_for("auditeur")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/exports/", {"format": "ods", "campaign": campaign.pk}, format="json")
    assert response.status_code == 202
    job = response.json()
    status = client.get(f"/api/v1/exports/{job['id']}/").json()
    assert status["state"] == "done" and status["rows_done"] == 2
    download = client.get(f"/api/v1/exports/{job['id']}/download/")
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == status["sha256"]
    other, _ = client_for("auditeur")
    assert other.get(f"/api/v1/exports/{job['id']}/").status_code == 404


def test_export_download_before_it_is_ready_says_where_it_stands(data):
    """Not ready is not « not found »: 409 with the progress, where to follow it and Retry-After;
    a failed export says so."""
    campaign, *_ = data
    client, _ = client_for("auditeur")
    job = client.post("/api/v1/exports/", {"format": "csv", "campaign": campaign.pk}, format="json").json()
    response = client.get(f"/api/v1/exports/{job['id']}/download/")  # the task runs after commit: not yet
    body = response.json()
    assert response.status_code == 409 and body["code"] == "not_ready" and response["Retry-After"] == "5"
    assert body["status_url"].endswith(f"/api/v1/exports/{job['id']}/") and body["job"]["state"] == "pending"
    assert "en préparation (0 %)" in body["detail"]
    ExportJob.objects.filter(pk=job["id"]).update(state=ExportJob.State.FAILED, error="disque plein")
    response = client.get(f"/api/v1/exports/{job['id']}/download/")
    assert response.status_code == 409 and response.json()["code"] == "export_failed"
    assert not response.has_header("Retry-After")
    assert client.get("/api/v1/exports/987654/download/").status_code == 404


def test_export_launch_refuses_unknown_fields_and_formats():
    client, _ = client_for("auditeur")
    assert client.post("/api/v1/exports/", {"format": "pdf"}, format="json").status_code == 400
    assert client.post("/api/v1/exports/", {"format": "csv", "extra": 1}, format="json").status_code == 400
    assert (
        client.post("/api/v1/exports/", {"format": "csv", "campaign": 2**70}, format="json").status_code
        == 400
    )


def test_audit_trail_pages_by_sequence_number(data):
    client, _ = client_for("auditeur")
    first = client.get("/api/v1/audit-trail/", {"limit": 5}).json()
    assert [e["seq"] for e in first["events"]] == [1, 2, 3, 4, 5] and first["next_after"] == 5
    event = first["events"][0]
    stored = AuditEvent.objects.get(seq=1)
    assert (
        event["hash"] == stored.hash
        and event["canonical"] == stored.canonical
        and event["payload"] == json.loads(stored.canonical)["payload"]
    )
    rest = client.get("/api/v1/audit-trail/", {"after": 5, "limit": 1000}).json()
    assert rest["next_after"] is None and rest["events"][0]["seq"] == 6


def test_audit_trail_export_streams_json_lines(data, tmp_path):
    import subprocess
    import sys

    from django.conf import settings

    _, a, _ = data
    client, _ = client_for("auditeur")
    response = client.get("/api/v1/audit-trail/export/", {"dossier": a.pk})
    assert response.status_code == 200
    path = tmp_path / "a.jsonl"
    path.write_bytes(b"".join(response.streaming_content))
    proc = subprocess.run(
        [sys.executable, str(settings.BASE_DIR / "scripts" / "verify_audit_export.py"), str(path)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout
    assert client.get("/api/v1/audit-trail/export/", {"dossier": 999999}).status_code == 404


def test_reporting_endpoints_in_openapi_schema():
    client = APIClient()
    schema = client.get("/api/v1/schema/", {"format": "json"})
    paths = (
        json.loads(schema.content)["paths"] if schema["Content-Type"].startswith("application/json") else None
    )
    if paths is None:
        import yaml

        paths = yaml.safe_load(schema.content)["paths"]
    for path in (
        "/api/v1/decisions/",
        "/api/v1/exports/",
        "/api/v1/exports/{id}/",
        "/api/v1/exports/{id}/download/",
        "/api/v1/audit-trail/",
        "/api/v1/audit-trail/export/",
    ):
        assert path in paths
