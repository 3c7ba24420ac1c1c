"""Every transition × every role × every entry point: only the declared forum and roles pass.

The entry points are the dossier's generic screen (``/dossiers/<pk>/actions/<name>/``), its API
(``/api/v1/dossiers/<pk>/transitions/<name>/``), the bulk actions (``perform_many``, the dossier
forum) and the services of the other forums (``perform(..., forum=…)``, in
``test_transitions.py``). For each (transition, role, entry point) the expected answer comes from
``CONTRACT`` below (written out, not read from the model), and an entry point that lets through
an undeclared path — or stops a declared one at its gate — fails the test. A path that passes the
gate may still be refused by a rule of the règlement (400): that is not a gate.
"""

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from fonds.dossiers.models import Dossier
from fonds.dossiers.services import TransitionRefused, perform_many, transition_names
from fonds.dossiers.states import Forum, Status
from tests.factories import make_commune, make_dossier, make_user

from .test_transitions import CONTRACT

ROLES = ["porteur", "instructeur", "comite", "finance", "auditeur", "admin"]
#: entry points of the dossier forum (the other forums' services: test_transitions.py)
ENTRY_POINTS = ["screen", "api", "bulk"]
GATE_REFUSALS = {"forum", "role", "not_found"}


@pytest.fixture
def people(db):
    commune = make_commune(population=900)
    users = {role: make_user(role, commune=commune if role == "porteur" else None) for role in ROLES}
    return commune, users


def _declared(name: str, role: str) -> bool:
    return role in CONTRACT[name][2].get(Forum.DOSSIER, set())


def _through_screen(client, dossier, name):
    response = client.post(
        reverse("dossier-transition", args=[dossier.pk, name]), {"motivation": "Motivation.", "confirm": "on"}
    )
    if response.status_code in (403, 404, 409):
        return "gate", response.status_code
    return (
        "passed",
        response.status_code,
    )  # done (302), a dedicated page (302) or a rule (200 with the reason)


def _through_api(client, dossier, name):
    response = client.post(
        f"/api/v1/dossiers/{dossier.pk}/transitions/{name}/", {"motivation": "Motivation."}, format="json"
    )
    if response.status_code == 409 and str(response.json().get("code", "")).startswith("forum_"):
        return "gate", response.status_code
    if response.status_code in (403, 404):
        return "gate", response.status_code
    return "passed", response.status_code  # 200 done; 400 a rule; 409 the status (not tested here)


def _through_bulk(user, dossier, name):
    result = perform_many([dossier.pk], name, by=user, motivation="Motivation.")
    refused = {r.kind for r in result.refused}
    if refused & GATE_REFUSALS:
        return "gate", sorted(refused)
    return "passed", sorted(refused)


def _attempt(entry, user, dossier, name):
    """One attempt, rolled back: every attempt starts from the same dossier."""
    with transaction.atomic():
        try:
            if entry == "screen":
                client = Client()
                client.force_login(user)
                outcome = _through_screen(client, dossier, name)
            elif entry == "api":
                client = APIClient()
                client.force_authenticate(user)
                outcome = _through_api(client, dossier, name)
            else:
                outcome = _through_bulk(user, dossier, name)
        except TransitionRefused as refused:  # perform_many raises only a conflict
            outcome = ("gate" if refused.kind in GATE_REFUSALS else "passed", refused.kind)
        transaction.set_rollback(True)
    return outcome


def test_contract_covers_every_transition():
    assert set(CONTRACT) == set(transition_names())


@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_each_entry_point_lets_through_only_the_declared_forum_and_roles(people, name):
    commune, users = people
    sources = sorted(CONTRACT[name][0])
    dossier = make_dossier(commune=commune, porteur=users["porteur"], proposed_amount="5000.00")
    Dossier.objects.filter(pk=dossier.pk).update(
        status=sources[0]
    )  # test setup: in a status the transition leaves
    wrong = []
    for role in ROLES:
        for entry in ENTRY_POINTS:
            gate, detail = _attempt(entry, users[role], dossier, name)
            expected = "passed" if _declared(name, role) else "gate"
            if gate != expected:
                wrong.append(f"{name} by {role} through {entry}: {gate} ({detail}), expected {expected}")
            assert Dossier.objects.get(pk=dossier.pk).status == sources[0]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("name", ["approve", "reject", "waitlist", "defer"])
def test_committee_decisions_are_refused_on_the_dossier_api_for_every_role_with_forum_code(people, name):
    commune, users = people
    dossier = make_dossier(commune=commune, porteur=users["porteur"], proposed_amount="5000.00")
    Dossier.objects.filter(pk=dossier.pk).update(status=Status.IN_COMMITTEE)
    for role in ROLES:
        client = APIClient()
        client.force_authenticate(users[role])
        response = client.post(
            f"/api/v1/dossiers/{dossier.pk}/transitions/{name}/", {"amount": "50000.00"}, format="json"
        )
        if role == "auditeur":  # read-only before anything else
            assert response.status_code == 403
            continue
        assert response.status_code == 409, (role, response.json())
        body = response.json()
        assert body["code"] == "forum_committee_sitting" and "séance du comité" in body["detail"], role
    assert Dossier.objects.get(pk=dossier.pk).status == Status.IN_COMMITTEE
