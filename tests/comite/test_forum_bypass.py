"""Issue 13's bypasses, each refused now: "an outcome exists only as the result of a vote in a sitting
session: no person, whatever their role, can approve, reject, waitlist or defer a dossier outside
it" (règlement, "Committee").

* a committee member approved a dossier alone, from the dossier page (« Accorder », confirm) —
  and a 50,000 € convention PDF was generated;
* ``POST /api/v1/dossiers/{id}/transitions/approve/`` (and reject, waitlist, defer), the
  administrator included.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from fonds.audit.models import AuditEvent
from fonds.comite import decisions, votes
from fonds.comite.models import AgendaItem
from fonds.documents.models import GeneratedDocument
from fonds.dossiers.models import Dossier
from fonds.dossiers.states import Status
from tests.factories import make_user

from .conftest import instructed_dossier, sitting

pytestmark = pytest.mark.django_db
DECISIONS = ("approve", "reject", "waitlist", "defer")


@pytest.fixture
def on_agenda(committee):
    """A dossier in committee on the agenda of a sitting session, its vote not opened."""
    c = committee
    dossier = instructed_dossier(c.campaign, proposed="9850.00", requested="9850.00")
    session = sitting(c, [dossier])
    dossier.refresh_from_db()
    assert dossier.status == Status.IN_COMMITTEE
    return c, dossier, session.items.get()


def _unchanged(dossier, item, events_before):
    dossier.refresh_from_db()
    item.refresh_from_db()
    assert (
        dossier.status == Status.IN_COMMITTEE
        and dossier.approved_amount is None
        and dossier.decided_at is None
    )
    assert item.outcome == "" and item.vote_state == AgendaItem.VoteState.PENDING
    assert not AuditEvent.objects.filter(seq__gt=events_before).exists()
    assert not GeneratedDocument.objects.filter(kind="convention").exists()  # no convention PDF


def _last_seq() -> int:
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def test_committee_member_cannot_approve_from_the_dossier_page(
    client, on_agenda, django_capture_on_commit_callbacks
):
    c, dossier, item = on_agenda
    before = _last_seq()
    for who in (c.others[0], c.chair):  # a member, and the chair himself: outside the sitting's screen
        client.force_login(who)
        page = client.get(reverse("dossier-detail", args=[dossier.pk]))
        html = page.content.decode()
        assert page.status_code == 200
        assert (
            ">Accorder<" not in html
            and reverse("dossier-transition", args=[dossier.pk, "approve"]) not in html
        )
        for name in DECISIONS:
            assert reverse("dossier-transition", args=[dossier.pk, name]) not in html
        form = client.get(reverse("dossier-transition", args=[dossier.pk, "approve"]))
        assert form.status_code == 409 and "séance du comité" in form.content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("dossier-transition", args=[dossier.pk, "approve"]),
                {"confirm": "on", "motivation": "Accord."},
            )
        assert response.status_code == 409
    _unchanged(dossier, item, before)


@pytest.mark.parametrize("name", DECISIONS)
@pytest.mark.parametrize("role", ["comite", "admin"])
def test_api_approve_is_409_forum_committee_sitting(on_agenda, name, role):
    """Also reject, waitlist and defer; the committee's chair and the administrator alike."""
    c, dossier, item = on_agenda
    user = c.chair if role == "comite" else c.admin
    api = APIClient()
    api.force_authenticate(user)
    before = _last_seq()
    response = api.post(
        f"/api/v1/dossiers/{dossier.pk}/transitions/{name}/",
        {"motivation": "Décision.", "amount": "50000.00"},
        format="json",
    )
    body = response.json()
    assert response.status_code == 409 and body["code"] == "forum_committee_sitting"
    assert (
        "séance du comité" in body["detail"] and "ne se fait pas depuis" in body["detail"]
    )  # French, names the screen
    _unchanged(dossier, item, before)
    listed = api.get(f"/api/v1/dossiers/{dossier.pk}/transitions/").json()
    assert name not in {t["name"] for t in listed}  # never offered either


def test_the_sitting_is_where_the_decision_is_taken(on_agenda):
    """The same dossier, decided where the règlement says: the vote in the sitting, then the
    outcome recorded by the presiding member (and the amount within its bounds)."""
    c, dossier, item = on_agenda
    votes.open_vote(item, by=c.chair)
    for member in c.members:
        votes.cast_vote(item, by=member, choice="pour")
    votes.close_vote(item, by=c.chair)
    decided = decisions.decide(AgendaItem.objects.get(pk=item.pk), by=c.chair, outcome="approve")
    dossier.refresh_from_db()
    assert decided.outcome == AgendaItem.Outcome.APPROVED and dossier.status == Status.APPROVED
    assert dossier.approved_amount == item.proposed_amount
    event = AuditEvent.objects.get(action="approve", object_id=str(dossier.pk))
    assert event.data["payload"]["forum"] == "committee_sitting"


def test_instructor_cannot_put_a_dossier_in_committee_without_a_session(committee, client):
    """Issue 13: « Inscrire à l'ordre du jour du comité » put a dossier « En comité » with no session."""
    from fonds.comite.agenda import orphans
    from fonds.dossiers.services import TransitionRefused, perform

    from .conftest import new_session

    instructor = make_user("instructeur")
    d = instructed_dossier(committee.campaign)
    with pytest.raises(TransitionRefused) as refused:
        perform(d, "schedule", by=instructor)
    assert refused.value.rules == ["session"]
    client.force_login(instructor)
    # the generic action page sends to the agenda page, where a session must be chosen
    response = client.get(reverse("dossier-transition", args=[d.pk, "schedule"]))
    assert response.status_code == 302 and response["Location"] == reverse("comite:schedule", args=[d.pk])
    page = client.get(reverse("comite:schedule", args=[d.pk])).content.decode()
    assert "Aucune séance programmée ou convoquée" in page  # no session: nothing to choose, no form
    assert client.post(reverse("comite:schedule", args=[d.pk]), {"confirm": "on"}).status_code == 400
    new_session(committee)
    response = client.post(reverse("comite:schedule", args=[d.pk]), {"confirm": "on"})
    assert response.status_code == 400 and "Choisissez la séance." in response.content.decode()
    api = client.post(f"/api/v1/dossiers/{d.pk}/transitions/schedule/", {}, content_type="application/json")
    assert api.status_code == 400 and "séance" in api.json()["detail"]
    d.refresh_from_db()
    assert d.status == Status.INSTRUCTED and not Dossier.objects.filter(status=Status.IN_COMMITTEE).exists()
    assert not orphans().exists()
