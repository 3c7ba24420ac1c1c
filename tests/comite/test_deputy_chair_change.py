"""An administrator sets, changes or removes the deputy chair (président de séance suppléant)
before the session sits, with the rules of session creation; one audit event per change."""

from __future__ import annotations

import pytest
from django.urls import reverse

from fonds.audit.models import AuditEvent
from fonds.comite import composition, sessions
from fonds.comite import convocation as comite_convocation
from fonds.comite.errors import ComiteRefused
from fonds.comite.models import Session
from tests.factories import make_user

from .conftest import instructed_dossier, new_session, sitting

pytestmark = pytest.mark.django_db


def test_deputy_chair_change_allowed_before_sitting(committee):
    c = committee
    session = new_session(c, deputy_chair=c.others[0])
    sessions.change_deputy_chair(session, by=c.admin, deputy_chair=c.others[1])
    session.refresh_from_db()
    assert session.deputy_chair == c.others[1]
    instructed_dossier(c.campaign)
    comite_convocation.build_agenda(session, by=c.admin)
    comite_convocation.send_convocation(session, by=c.admin)
    sessions.change_deputy_chair(session, by=c.admin, deputy_chair=c.others[2])
    session.refresh_from_db()
    assert session.status == Session.Status.CONVENED and session.deputy_chair == c.others[2]
    payload = (
        AuditEvent.objects.filter(action="comite_deputy_chair_changed")
        .order_by("-pk")
        .first()
        .data["payload"]
    )
    assert payload["convocation_already_sent"] is True and "pas renvoyée" in payload["note"]


def test_deputy_chair_change_refused_when_sitting(committee):
    c = committee
    session = sitting(c, 1)
    with pytest.raises(ComiteRefused, match="en séance") as refused:
        sessions.change_deputy_chair(session, by=c.admin, deputy_chair=c.others[0])
    assert refused.value.kind == "status"
    session.refresh_from_db()
    assert session.deputy_chair_id is None


def test_deputy_chair_change_refused_outside_the_composition(committee):
    c = committee
    composition.appoint(c.campaign, by=c.admin, members=c.members)
    session = new_session(c)
    outsider = make_user("comite", first_name="Olivier", last_name="Externe")  # not appointed
    with pytest.raises(ComiteRefused, match="parmi les membres de la composition"):
        sessions.change_deputy_chair(session, by=c.admin, deputy_chair=outsider)


def test_deputy_chair_of_a_convened_session_is_one_of_its_frozen_members(committee):
    c = committee
    session = new_session(c)
    instructed_dossier(c.campaign)
    comite_convocation.build_agenda(session, by=c.admin)
    comite_convocation.send_convocation(session, by=c.admin)
    newcomer = make_user(
        "comite", first_name="Nina", last_name="Nouvelle"
    )  # joins the default composition after the convocation
    with pytest.raises(ComiteRefused, match="parmi les membres convoqués"):
        sessions.change_deputy_chair(session, by=c.admin, deputy_chair=newcomer)
    assert (
        sessions.change_deputy_chair(session, by=c.admin, deputy_chair=c.others[0]).deputy_chair
        == c.others[0]
    )


def test_deputy_chair_change_refused_for_the_chair(committee):
    c = committee
    session = new_session(c)
    with pytest.raises(ComiteRefused, match="autre membre que le président"):
        sessions.change_deputy_chair(session, by=c.admin, deputy_chair=c.chair)


def test_deputy_chair_change_writes_one_audit_event(committee):
    c = committee
    session = new_session(c, deputy_chair=c.others[0])
    before = AuditEvent.objects.count()
    sessions.change_deputy_chair(session, by=c.admin, deputy_chair=c.others[1])
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.get(action="comite_deputy_chair_changed")
    payload = event.data["payload"]
    assert (payload["from"], payload["from_email"]) == (c.others[0].pk, c.others[0].email)
    assert (payload["to"], payload["to_email"]) == (c.others[1].pk, c.others[1].email)
    assert payload["convocation_already_sent"] is False


def test_deputy_chair_removal_allowed(committee, client):
    c = committee
    session = new_session(c, deputy_chair=c.others[0])
    client.force_login(c.admin)
    assert (
        "Changer le président de séance suppléant"
        in client.get(reverse("comite:session", args=[session.pk])).content.decode()
    )
    url = reverse("comite:deputy-chair", args=[session.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"deputy_chair": ""})
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.deputy_chair_id is None
    assert AuditEvent.objects.get(action="comite_deputy_chair_changed").data["payload"]["to"] is None


def test_deputy_chair_change_refused_to_a_non_admin(committee, client):
    c = committee
    session = new_session(c)
    client.force_login(c.chair)
    assert (
        client.post(
            reverse("comite:deputy-chair", args=[session.pk]), {"deputy_chair": c.others[0].pk}
        ).status_code
        == 403
    )
    with pytest.raises(ComiteRefused) as refused:
        sessions.change_deputy_chair(session, by=c.chair, deputy_chair=c.others[0])
    assert refused.value.http_status == 403
    session.refresh_from_db()
    assert session.deputy_chair_id is None
