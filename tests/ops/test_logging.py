"""Structured logs: one JSON line per request and per task, with ids, never an IBAN or a password."""

import json
import logging

import pytest

from fonds.ops.logging import JsonFormatter, RedactFilter, mask_iban
from tests.factories import make_commune, make_dossier, make_user

pytestmark = pytest.mark.django_db


def _json_lines(caplog, logger):
    formatter, redact = JsonFormatter(), RedactFilter()
    lines = []
    for record in caplog.records:
        if record.name == logger:
            redact.filter(record)
            lines.append(json.loads(formatter.format(record)))
    return lines


def test_iban_masked_keeps_country_and_last_four():
    assert mask_iban("IBAN FR76 3000 6000 0112 3456 7890 189 reçu") == "IBAN FR**…0189 reçu"
    assert mask_iban("FR7630006000011234567890189") == "FR**…0189"
    assert mask_iban("Dossier FJJ-2026-00001") == "Dossier FJJ-2026-00001"


def test_redact_filter_masks_secret_fields_and_ibans_in_messages():
    record = logging.makeLogRecord(
        {
            "msg": "virement vers %s",
            "args": ("DE89370400440532013000",),
            "password": "hunter2",
            "detail": {"iban": "x", "n": 1},
        }
    )
    RedactFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["msg"] == "virement vers DE**…3000"
    assert line["password"] == "[masqué]" and line["detail"] == {"iban": "[masqué]", "n": 1}


def test_one_json_line_per_request_with_user_and_dossier_ids(client, caplog):
    commune = make_commune()
    porteur = make_user("porteur", commune=commune)
    dossier = make_dossier(commune=commune, porteur=porteur)
    client.force_login(porteur)
    with caplog.at_level(logging.INFO, logger="fonds.request"):
        response = client.get(f"/dossiers/{dossier.pk}/")
    assert response.status_code == 200
    lines = _json_lines(caplog, "fonds.request")
    assert len(lines) == 1
    line = lines[0]
    assert line["status"] == 200 and line["method"] == "GET" and line["user_id"] == porteur.pk
    assert line["dossier_id"] == dossier.pk and line["request_id"] == response["X-Request-ID"]


def test_login_request_never_logs_the_password(client, caplog):
    with caplog.at_level(logging.INFO):
        client.post("/connexion/", {"username": "x@example.fr", "password": "S3cret-Passw0rd!"})
    assert all(
        "S3cret-Passw0rd!" not in r.getMessage()
        and "S3cret-Passw0rd!" not in json.dumps(vars(r), default=str)
        for r in caplog.records
    )


def test_one_json_line_per_task(caplog):
    from fonds.ops.tasks import heartbeat

    with caplog.at_level(logging.INFO, logger="fonds.task"):
        heartbeat.apply()
    lines = _json_lines(caplog, "fonds.task")
    assert [(line["task"], line["state"]) for line in lines] == [("fonds.ops.tasks.heartbeat", "SUCCESS")]
    assert lines[0]["duration_ms"] is not None


def test_dossier_id_only_when_the_route_names_a_dossier():
    from types import SimpleNamespace

    from fonds.ops.logging import _dossier_id

    def request(route, namespace="", **kwargs):
        return SimpleNamespace(
            resolver_match=SimpleNamespace(route=route, namespace=namespace, view_name="", kwargs=kwargs)
        )

    assert _dossier_id(request("instruction/dossiers/<int:pk>/", "instruction", pk=7)) == 7
    assert _dossier_id(request("suivi/<int:pk>/convention/", "suivi", pk=8)) == 8
    assert _dossier_id(request("paiements/dossier/<int:pk>/reversement/", "payments", pk=9)) == 9
    assert (
        _dossier_id(
            request("comite/seances/<int:pk>/dossiers/<int:item_pk>/vote/", "comite", pk=3, item_pk=62)
        )
        is None
    )
    assert _dossier_id(request("paiements/ordres/<int:pk>/", "payments", pk=5)) is None
