"""``/api/v1/avis/`` (issue 20): the expert reads their own requests, read only; never another's,
never a private field of the dossier; no other role uses it."""

import pytest
from rest_framework.test import APIClient

from fonds.avis import services
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_expert_lists_their_own_requests_only(ask, avis_world):
    mine = ask()
    theirs = ask(dossier=avis_world["other"], email="autre.expert@exemple.fr")
    body = _api(mine.expert).get("/api/v1/avis/").json()
    assert [row["id"] for row in body["results"]] == [mine.pk]
    assert body["results"][0]["dossier"] == mine.dossier.reference
    assert _api(mine.expert).get(f"/api/v1/avis/{theirs.pk}/").status_code == 404


def test_the_api_gives_no_private_field_of_the_dossier(ask, avis_world):
    dossier = avis_world["dossier"]
    dossier.youth_ages = [13, 14]
    dossier.save(update_fields=["youth_ages"])
    avis = ask()
    row = _api(avis.expert).get(f"/api/v1/avis/{avis.pk}/").json()
    assert set(row) == {
        "id",
        "dossier",
        "dossier_title",
        "commune",
        "question",
        "deadline",
        "visibility",
        "status",
        "created_at",
        "answered_at",
        "answer",
        "has_attachment",
    }
    assert row["commune"] == dossier.commune.name
    assert "youth_ages" not in str(row) and [13, 14] not in row.values()


def test_the_api_is_read_only(ask):
    avis = ask()
    client = _api(avis.expert)
    assert client.post("/api/v1/avis/", {}, format="json").status_code == 405
    assert client.patch(f"/api/v1/avis/{avis.pk}/", {"answer": "x"}, format="json").status_code == 405
    services.answer_avis(avis, by=avis.expert, text="Avis.")
    assert client.get(f"/api/v1/avis/{avis.pk}/").json()["answer"] == "Avis."


@pytest.mark.parametrize("role", ["porteur", "instructeur", "comite", "finance", "auditeur", "admin"])
def test_no_other_role_uses_the_experts_api(ask, role):
    avis = ask()
    client = _api(make_user(role))
    assert client.get("/api/v1/avis/").status_code == 403
    assert client.get(f"/api/v1/avis/{avis.pk}/").status_code == 403
