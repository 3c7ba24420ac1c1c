"""The /api/v1/ contract: filters, pagination, permissions in one place, transitions, bad input."""

import json

import pytest
from axes.models import AccessAttempt
from rest_framework.test import APIClient

from fonds.audit.models import AuditEvent
from fonds.dossiers.models import Dossier
from fonds.dossiers.states import Status
from tests.factories import PASSWORD, make_campaign, make_commune, make_dossier, make_user

pytestmark = pytest.mark.django_db


def client_for(user):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def setup():
    campaign = make_campaign()
    commune = make_commune(population=700)
    other = make_commune(population=2500)
    porteur = make_user("porteur", commune=commune)
    other_porteur = make_user("porteur", commune=other)
    mine = make_dossier(campaign=campaign, commune=commune, porteur=porteur)
    theirs = make_dossier(campaign=campaign, commune=other, porteur=other_porteur)
    return dict(
        campaign=campaign,
        commune=commune,
        porteur=porteur,
        other_porteur=other_porteur,
        mine=mine,
        theirs=theirs,
        instructeur=make_user("instructeur"),
        auditeur=make_user("auditeur"),
        finance=make_user("finance"),
    )


def test_token_is_issued_for_good_credentials_only():
    user = make_user("instructeur", email="agent@test.fjj.fr")
    client = APIClient()
    ok = client.post(
        "/api/v1/auth/token/", {"email": "agent@test.fjj.fr", "password": PASSWORD}, format="json"
    )
    assert ok.status_code == 200 and len(ok.json()["token"]) == 40
    token_client = APIClient()
    token_client.credentials(HTTP_AUTHORIZATION=f"Token {ok.json()['token']}")
    assert token_client.get("/api/v1/dossiers/").status_code == 200
    before = AuditEvent.objects.count()
    bad = client.post(
        "/api/v1/auth/token/", {"email": "agent@test.fjj.fr", "password": "mauvais"}, format="json"
    )
    assert bad.status_code == 400 and "incorrect" in bad.json()["detail"]
    # counted by django-axes; the audit chain gets one event per lockout, not one per failure (issue 14)
    assert AccessAttempt.objects.get(username="agent@test.fjj.fr").failures_since_start == 1
    assert AuditEvent.objects.count() == before
    assert user.pk


def test_anonymous_gets_401():
    assert APIClient().get("/api/v1/dossiers/").status_code == 401


def test_list_is_paginated_and_filtered(setup):
    response = client_for(setup["instructeur"]).get(
        "/api/v1/dossiers/", {"status": "draft", "campaign": setup["campaign"].pk}
    )
    body = response.json()
    assert response.status_code == 200
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 2
    body = (
        client_for(setup["instructeur"]).get("/api/v1/dossiers/", {"commune": setup["commune"].code}).json()
    )
    assert [d["id"] for d in body["results"]] == [setup["mine"].pk]
    assert (
        client_for(setup["instructeur"]).get("/api/v1/dossiers/", {"status": "submitted"}).json()["count"]
        == 0
    )


def test_list_refuses_unknown_status_filter_in_french(setup):
    response = client_for(setup["instructeur"]).get(
        "/api/v1/dossiers/", {"status": "nimportequoi", "campaign": "abc"}
    )
    assert response.status_code == 400
    assert "Statut inconnu" in response.json()["status"][0]
    assert "campagne" in response.json()["campaign"][0]


def test_porteur_lists_only_its_commune(setup):
    body = client_for(setup["porteur"]).get("/api/v1/dossiers/").json()
    assert [d["id"] for d in body["results"]] == [setup["mine"].pk]


def test_porteur_of_another_commune_gets_404_not_403(setup):
    client = client_for(setup["porteur"])
    theirs = setup["theirs"].pk
    assert client.get(f"/api/v1/dossiers/{theirs}/").status_code == 404
    assert client.get(f"/api/v1/dossiers/{theirs}/transitions/").status_code == 404
    assert client.get(f"/api/v1/dossiers/{theirs}/audit/").status_code == 404
    assert client.patch(f"/api/v1/dossiers/{theirs}/", {"title": "Piraté"}, format="json").status_code == 404
    assert (
        client.post(f"/api/v1/dossiers/{theirs}/transitions/withdraw/", {}, format="json").status_code == 404
    )


def test_list_query_count_is_constant(setup, django_assert_max_num_queries):
    for _ in range(15):
        make_dossier(campaign=setup["campaign"], complete=False)
    client = client_for(setup["instructeur"])
    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/dossiers/", {"page_size": 200})
    assert response.json()["count"] == 17


def test_porteur_creates_a_draft_for_its_own_commune(setup):
    response = client_for(setup["porteur"]).post(
        "/api/v1/dossiers/",
        {
            "campaign": setup["campaign"].pk,
            "title": "Rencontre sportive",
            "youth_ages": [14, 15],
            "requested_amount": "2500.00",
            "budget_lines": [{"kind": "expense", "category": "travel", "amount": "3000.00"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft" and body["commune"] == setup["commune"].code
    assert body["budget_lines"][0]["amount"] == "3000.00"
    assert AuditEvent.objects.filter(action="create_draft", object_id=str(body["id"])).count() == 1


def test_instructor_cannot_create_a_draft(setup):
    response = client_for(setup["instructeur"]).post(
        "/api/v1/dossiers/", {"campaign": setup["campaign"].pk, "title": "x"}, format="json"
    )
    assert response.status_code == 403


BAD_INPUTS = [
    ("unknown field", {"title": "Projet", "statut": "approved"}, "statut"),
    ("status is not writable", {"title": "Projet", "status": "approved"}, "status"),
    ("wrong type", {"title": "Projet", "activity_days": "beaucoup"}, "activity_days"),
    ("out of range age", {"title": "Projet", "youth_ages": [14, 250]}, "youth_ages"),
    ("negative amount", {"title": "Projet", "requested_amount": "-5"}, "requested_amount"),
    ("three decimals", {"title": "Projet", "requested_amount": "100.123"}, "requested_amount"),
    ("overlong summary", {"title": "Projet", "summary": "x" * 2001}, "summary"),
    ("overlong title", {"title": "x" * 201}, "title"),
    (
        "dates in the wrong order",
        {"title": "Projet", "start_date": "2027-05-10", "end_date": "2027-05-01"},
        "end_date",
    ),
    ("bad date", {"title": "Projet", "start_date": "31/12/2027"}, "start_date"),
    (
        "budget line of wrong kind",
        {"title": "Projet", "budget_lines": [{"kind": "income", "category": "travel", "amount": "10"}]},
        "budget_lines",
    ),
    ("missing title", {"summary": "sans titre"}, "title"),
]


@pytest.mark.parametrize("label,payload,field", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_is_a_400_with_a_french_message_and_nothing_stored(setup, label, payload, field):
    before = (Dossier.objects.count(), AuditEvent.objects.count())
    payload = {"campaign": setup["campaign"].pk, **payload}
    response = client_for(setup["porteur"]).post("/api/v1/dossiers/", payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert (Dossier.objects.count(), AuditEvent.objects.count()) == before


def test_malformed_json_is_a_400(setup):
    response = client_for(setup["porteur"]).generic(
        "POST", "/api/v1/dossiers/", '{"title": "x",', content_type="application/json"
    )
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


def test_json_array_instead_of_object_is_a_400(setup):
    response = client_for(setup["porteur"]).generic(
        "POST", "/api/v1/dossiers/", json.dumps([1, 2]), content_type="application/json"
    )
    assert response.status_code == 400


def test_porteur_patches_its_draft(setup):
    url = f"/api/v1/dossiers/{setup['mine'].pk}/"
    response = client_for(setup["porteur"]).patch(url, {"title": "Nouveau titre"}, format="json")
    assert response.status_code == 200 and response.json()["title"] == "Nouveau titre"
    event = AuditEvent.objects.filter(action="update_content").latest("seq")
    assert event.data["payload"]["fields"] == {"title": "Nouveau titre"}


def test_patch_refused_once_submitted(setup):
    Dossier.objects.filter(pk=setup["mine"].pk).update(status=Status.SUBMITTED)
    response = client_for(setup["porteur"]).patch(
        f"/api/v1/dossiers/{setup['mine'].pk}/", {"title": "Trop tard"}, format="json"
    )
    assert response.status_code == 403
    assert Dossier.objects.get(pk=setup["mine"].pk).title != "Trop tard"


def test_transitions_lists_what_this_user_may_do_now(setup):
    url = f"/api/v1/dossiers/{setup['mine'].pk}/transitions/"
    assert {t["name"] for t in client_for(setup["porteur"]).get(url).json()} == {"submit", "withdraw"}
    assert client_for(setup["instructeur"]).get(url).json() == []


def test_submit_through_the_api(setup):
    response = client_for(setup["porteur"]).post(
        f"/api/v1/dossiers/{setup['mine'].pk}/transitions/submit/", {}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "submitted"


def test_wrong_status_is_409_wrong_role_is_403(setup):
    url = f"/api/v1/dossiers/{setup['mine'].pk}/transitions/"
    wrong_status = client_for(setup["instructeur"]).post(url + "complete_instruction/", {}, format="json")
    assert wrong_status.status_code == 409 and wrong_status.json()["code"] == "status"
    wrong_role = client_for(setup["finance"]).post(url + "submit/", {}, format="json")
    assert wrong_role.status_code == 403 and wrong_role.json()["code"] == "role"
    assert "rôle" in wrong_role.json()["detail"]


def test_failed_condition_is_400_with_rule_codes(setup):
    incomplete = make_dossier(
        campaign=setup["campaign"], commune=setup["commune"], porteur=setup["porteur"], complete=False
    )
    response = client_for(setup["porteur"]).post(
        f"/api/v1/dossiers/{incomplete.pk}/transitions/submit/", {}, format="json"
    )
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "condition"
    assert "E2" in response.json()["rules"]
    assert Dossier.objects.get(pk=incomplete.pk).status == "draft"


def test_missing_motivation_is_400(setup):
    Dossier.objects.filter(pk=setup["mine"].pk).update(status=Status.SUBMITTED)
    response = client_for(setup["instructeur"]).post(
        f"/api/v1/dossiers/{setup['mine'].pk}/transitions/declare_ineligible/",
        {"motivation": " "},
        format="json",
    )
    assert response.status_code == 400 and response.json()["code"] == "motivation"


def test_unknown_transition_is_404(setup):
    response = client_for(setup["porteur"]).post(
        f"/api/v1/dossiers/{setup['mine'].pk}/transitions/teleport/", {}, format="json"
    )
    assert response.status_code == 404


def test_auditor_reads_everything_but_changes_nothing(setup):
    client = client_for(setup["auditeur"])
    assert client.get(f"/api/v1/dossiers/{setup['theirs'].pk}/").status_code == 200
    assert (
        client.post(
            f"/api/v1/dossiers/{setup['mine'].pk}/transitions/withdraw/", {}, format="json"
        ).status_code
        == 403
    )
    assert (
        client.patch(f"/api/v1/dossiers/{setup['mine'].pk}/", {"title": "x"}, format="json").status_code
        == 403
    )
    assert client.post("/api/v1/dossiers/", {"title": "x"}, format="json").status_code == 403


def test_audit_endpoint_returns_the_dossier_chain(setup):
    client_for(setup["porteur"]).post(
        f"/api/v1/dossiers/{setup['mine'].pk}/transitions/submit/", {}, format="json"
    )
    body = client_for(setup["auditeur"]).get(f"/api/v1/dossiers/{setup['mine'].pk}/audit/").json()
    actions = [e["action"] for e in body["results"]]
    assert "submit" in actions
    assert all(len(e["hash"]) == 64 for e in body["results"])


def test_campaigns_and_communes(setup):
    client = client_for(setup["porteur"])
    body = client.get("/api/v1/campaigns/").json()
    assert body["results"][0]["rules_version"] == 1
    assert body["results"][0]["rules"]["eligibility"]["max_population"] == 3500
    commune = client.get(f"/api/v1/communes/{setup['commune'].code}/").json()
    assert commune["population"] == 700
    assert client.get("/api/v1/communes/99999/").status_code == 404


def test_openapi_schema_is_served(setup):
    response = client_for(setup["porteur"]).get(
        "/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json"
    )
    assert response.status_code == 200
    assert b"/api/v1/dossiers/{id}/transitions/{name}/" in response.content


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/dossiers/99999999999999999999999/",
        "/api/v1/dossiers/99999999999999999999999/transitions/",
        "/api/v1/dossiers/?campaign=99999999999999999999999",
        "/api/v1/campaigns/99999999999999999999999/",
    ],
)
def test_huge_identifiers_are_not_a_500(setup, url):
    response = client_for(setup["instructeur"]).get(url)
    assert response.status_code in (400, 404)


def test_huge_foreign_key_in_body_is_a_400(setup):
    response = client_for(setup["porteur"]).post(
        "/api/v1/dossiers/", {"campaign": 99999999999999999999999, "title": "x"}, format="json"
    )
    assert response.status_code == 400 and "campaign" in response.json()


def test_e7_api_create_refused_when_a_dossier_of_the_commune_blocks(setup):
    """Same gate as « Nouveau dossier »: 400 with the French message and rule E7, no draft."""
    Dossier.objects.filter(pk=setup["mine"].pk).update(status=Status.LAPSED)
    before = Dossier.objects.count()
    response = client_for(setup["porteur"]).post(
        "/api/v1/dossiers/", {"campaign": setup["campaign"].pk, "title": "Projet"}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["rules"] == ["E7"] and setup["mine"].reference in body["detail"] and "caduc" in body["detail"]
    assert Dossier.objects.count() == before


def test_e7_api_create_allowed_next_to_an_ineligible_dossier(setup):
    Dossier.objects.filter(pk=setup["mine"].pk).update(status=Status.INELIGIBLE)
    response = client_for(setup["porteur"]).post(
        "/api/v1/dossiers/", {"campaign": setup["campaign"].pk, "title": "Projet"}, format="json"
    )
    assert response.status_code == 201


def _in_instruction_with_scores(setup, points):
    from fonds.dossiers.services import perform
    from fonds.instruction import services as instruction

    dossier, instructeur = setup["mine"], setup["instructeur"]
    perform(dossier, "submit", by=setup["porteur"])
    perform(dossier, "start_instruction", by=instructeur)
    instruction.record_scores(
        dossier, by=instructeur, scores={code: (value, "Appréciation.") for code, value in points.items()}
    )
    return dossier


def test_grid_below_threshold_cannot_be_sent_favourable_through_the_api(setup):
    dossier = _in_instruction_with_scores(
        setup, {"participation": 25, "inclusion": 20, "quality": 20, "low_carbon": 10, "budget": 4}
    )
    url = f"/api/v1/dossiers/{dossier.pk}/transitions/complete_instruction/"
    client = client_for(setup["instructeur"])
    response = client.post(url, {"opinion": "favourable", "motivation": "Projet exemplaire."}, format="json")
    assert response.status_code == 400 and response.json()["rules"] == ["opinion"]
    assert "Réalisme du budget" in response.json()["detail"]
    response = client.post(url, {"opinion": "unfavourable", "proposed_amount": "20000"}, format="json")
    assert (
        response.status_code == 400
        and response.json()["rules"] == ["amount"]
        and "ne peut dépasser" in response.json()["detail"]
    )
    dossier.refresh_from_db()
    assert dossier.status == Status.IN_INSTRUCTION
    assert client.post(url, {"opinion": "unfavourable"}, format="json").status_code == 200
