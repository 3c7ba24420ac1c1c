"""Règlement, "Committee": the composition is the list of voting members the administrator appoints
for the campaign (by default every account holding the committee role); every session convenes
all of them; the quorum counts against it (recused members out of both counts for their dossier,
represented members count). A session's member list follows the composition until its
convocation, then it is frozen."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from fonds import clock
from fonds.audit.models import AuditEvent
from fonds.comite import composition, counting, proxies, sitting, votes
from fonds.comite import convocation as comite_convocation
from fonds.comite import sessions as comite_sessions
from fonds.comite.errors import ComiteRefused
from fonds.comite.models import CommitteeMember, ConflictDeclaration, Proxy
from tests.factories import make_campaign, make_user

from .conftest import at_start, instructed_dossier, new_session
from .conftest import sitting as committee_sitting

pytestmark = pytest.mark.django_db


def test_composition_defaults_to_every_active_committee_account(committee):
    c = committee
    make_user("comite", is_active=False)  # a closed account does not sit
    make_user("instructeur")  # another role does not sit
    assert composition.is_default(c.campaign)
    assert set(composition.composition(c.campaign)) == set(c.members)


def test_session_convenes_the_whole_campaign_composition(committee):
    c = committee
    session = new_session(c)
    assert set(session.members.all()) == set(c.members)
    created = AuditEvent.objects.get(action="comite_session_created")
    assert (
        set(created.data["payload"]["members"]) == {m.pk for m in c.members}
        and created.data["payload"]["composition_default"]
    )
    # once the administrator appoints the committee, a new session convenes exactly the appointed members
    appointed = [c.chair, *c.others[:2]]
    elsewhere = make_campaign()
    composition.appoint(elsewhere, by=c.admin, members=appointed)
    other = comite_sessions.create_session(
        elsewhere, by=c.admin, starts_at=clock.now() + dt.timedelta(days=10), chair=c.chair, place="Lyon"
    )
    assert set(other.members.all()) == set(appointed)


def test_quorum_counts_against_the_campaign_composition(committee):
    """Issue 13: "convening 2 members out of 8 gave a quorum of 2" — the session convenes the
    eight members of the composition, so two present are not half of them."""
    c = committee
    extra = [make_user("comite") for _ in range(3)]  # eight committee accounts: the default composition
    instructed_dossier(c.campaign)
    session = new_session(c)
    assert session.members.count() == 8
    comite_convocation.build_agenda(session, by=c.admin)
    comite_convocation.send_convocation(session, by=c.admin)
    at_start(session)
    sitting.open_sitting(session, by=c.chair)
    sitting.record_attendance(session, by=c.chair, presence={c.chair: "present", c.others[0]: "present"})
    item = session.items.get()
    result = counting.item_quorum(item)
    assert (result.members, result.eligible, result.counted, result.reached) == (8, 8, 2, False)
    assert "sur 8 membre(s) de la composition" in result.explanation()
    with pytest.raises(ComiteRefused, match="Quorum non atteint"):
        votes.open_vote(item, by=c.chair)
    # two more present, a third represented: 5 of 8 ≥ 4
    proxies.give_proxy(session, giver=extra[0], holder=c.others[1])
    sitting.record_attendance(
        session,
        by=c.chair,
        presence={c.others[1]: "present", c.others[2]: "present", extra[0]: "represented"},
    )
    assert counting.item_quorum(item).counted == 5 and counting.item_quorum(item).reached


def test_recused_members_leave_both_counts_and_represented_members_count(committee):
    c = committee
    a, b, d, e = c.others
    session = committee_sitting(
        c,
        [instructed_dossier(c.campaign)],
        proxies={e: b},
        presence={c.chair: "present", a: "present", b: "present", d: "absent", e: "represented"},
    )
    item = session.items.get()
    proxies.declare_conflict(item, member=a, reason="Élu de la commune.")
    result = counting.item_quorum(item)
    # five in the composition, one recused: 4 eligible; the recused present member is not counted
    assert (result.members, result.recused, result.eligible, result.present, result.represented) == (
        5,
        1,
        4,
        2,
        1,
    )
    assert result.reached


def test_first_appointment_ends_the_default_and_changes_are_audited(committee):
    c = committee
    composition.appoint(c.campaign, by=c.admin, members=[c.chair, c.others[0]])
    assert not composition.is_default(c.campaign)
    assert set(composition.composition(c.campaign)) == {c.chair, c.others[0]}
    event = AuditEvent.objects.get(action="comite_composition_appointed")
    assert event.actor_id == c.admin.pk and event.data["payload"]["was_default"] is True
    assert event.object_type == "referentiel.campaign" and event.object_id == str(c.campaign.pk)
    composition.remove(c.campaign, by=c.admin, member=c.others[0], motivation="Démission.")
    row = CommitteeMember.objects.get(member=c.others[0])
    assert row.removed_at is not None and row.removed_by == c.admin  # the history stays
    removed = AuditEvent.objects.get(action="comite_composition_removed")
    assert (
        removed.data["payload"]["removed"] == c.others[0].pk
        and removed.data["payload"]["motivation"] == "Démission."
    )
    # the last appointed member removed: back to the default composition, said so in the trail
    composition.remove(c.campaign, by=c.admin, member=c.chair)
    assert composition.is_default(c.campaign)
    assert (
        AuditEvent.objects.filter(action="comite_composition_removed")
        .last()
        .data["payload"]["back_to_default"]
        is True
    )


def test_only_an_administrator_changes_the_composition_and_only_with_committee_accounts(committee):
    c = committee
    with pytest.raises(ComiteRefused) as refused:
        composition.appoint(c.campaign, by=c.chair, members=[c.others[0]])
    assert refused.value.kind == "role"
    with pytest.raises(ComiteRefused, match="rôle « membre du comité »"):
        composition.appoint(c.campaign, by=c.admin, members=[make_user("instructeur")])
    composition.appoint(c.campaign, by=c.admin, members=[c.chair])
    with pytest.raises(ComiteRefused, match="Déjà membre"):
        composition.appoint(c.campaign, by=c.admin, members=[c.chair])
    assert (
        not AuditEvent.objects.filter(action="comite_composition_appointed")
        .exclude(actor_id=c.admin.pk)
        .exists()
    )


def test_planned_session_follows_the_composition_until_its_convocation(committee):
    c = committee
    a, b, d, e = c.others
    instructed_dossier(c.campaign, instructor=None)
    session = new_session(c)
    comite_convocation.build_agenda(session, by=c.admin)
    item = session.items.get()
    proxies.give_proxy(session, giver=e, holder=b)
    proxies.declare_conflict(item, member=e, reason="Élu de la commune.")
    # the administrator appoints the committee without e: the planned session follows,
    # e's proxy and declaration go
    composition.appoint(c.campaign, by=c.admin, members=[c.chair, a, b, d])
    assert set(session.members.all()) == {c.chair, a, b, d}
    assert not Proxy.objects.filter(session=session).exists()
    assert not ConflictDeclaration.objects.filter(item=item, member=e).exists()
    updated = AuditEvent.objects.get(action="comite_session_members_updated")
    assert updated.data["payload"]["removed"] == [e.pk] and updated.data["payload"]["proxies_removed"] == [
        [e.pk, b.pk]
    ]
    # convened: the list is frozen, a later change of the composition applies to later sessions only
    comite_convocation.send_convocation(session, by=c.admin)
    composition.appoint(c.campaign, by=c.admin, members=[e])
    assert set(session.members.all()) == {c.chair, a, b, d}
    later = new_session(c, days=20)
    assert set(later.members.all()) == {c.chair, a, b, d, e}


def test_convocation_takes_the_composition_once_more_then_freezes_it(committee):
    c = committee
    instructed_dossier(c.campaign)
    session = new_session(c)
    comite_convocation.build_agenda(session, by=c.admin)
    newcomer = make_user("comite")  # joins the default composition after the session was created
    comite_convocation.send_convocation(session, by=c.admin)
    assert newcomer in session.members.all()
    event = AuditEvent.objects.get(action="comite_convocation")
    assert newcomer.pk in event.data["payload"]["recipients"] and event.data["payload"]["members_frozen"]
    make_user("comite")  # too late: the members convened deliberate
    assert session.members.count() == 6


def test_chair_of_a_planned_session_cannot_leave_the_composition(committee):
    c = committee
    composition.appoint(c.campaign, by=c.admin, members=c.members)
    session = new_session(c, deputy_chair=c.others[0])
    with pytest.raises(ComiteRefused, match="préside la séance"):
        composition.remove(c.campaign, by=c.admin, member=c.chair)
    with pytest.raises(ComiteRefused, match="président de séance suppléant"):
        composition.remove(c.campaign, by=c.admin, member=c.others[0])
    assert set(composition.composition(c.campaign)) == set(c.members)  # nothing changed
    assert set(session.members.all()) == set(c.members)


def test_member_joining_a_planned_session_is_recused_on_the_dossiers_they_instructed(committee):
    c = committee
    instructor_member = make_user(["comite", "instructeur"])
    composition.appoint(c.campaign, by=c.admin, members=c.members)
    dossier = instructed_dossier(c.campaign, instructor=instructor_member)
    session = new_session(c)
    [item] = comite_convocation.build_agenda(session, by=c.admin)
    assert not ConflictDeclaration.objects.filter(item=item).exists()
    composition.appoint(c.campaign, by=c.admin, members=[instructor_member])
    declaration = ConflictDeclaration.objects.get(item=item)
    assert declaration.member == instructor_member and declaration.automatic and item.dossier_id == dossier.pk


def test_follow_up_session_convenes_the_composition_and_carries_recusals_of_members_still_sitting(committee):
    c = committee
    a, b, d, e = c.others
    instructed_dossier(c.campaign)
    first = new_session(c)
    comite_convocation.build_agenda(first, by=c.admin)
    item = first.items.get()
    proxies.declare_conflict(item, member=a, reason="Élu de la commune.")
    proxies.declare_conflict(item, member=e, reason="Parent d'un élu.")
    comite_convocation.send_convocation(first, by=c.admin)
    at_start(first)
    sitting.open_sitting(first, by=c.chair)
    sitting.record_attendance(first, by=c.chair, presence={c.chair: "present"})
    sitting.adjourn(first, by=c.chair)
    composition.appoint(c.campaign, by=c.admin, members=[c.chair, a, b, d])  # e left the committee meanwhile
    nxt = new_session(c, days=7, follows=first)
    assert set(nxt.members.all()) == {c.chair, a, b, d}
    carried = nxt.items.get()
    assert set(ConflictDeclaration.objects.filter(item=carried).values_list("member_id", flat=True)) == {a.pk}


# ---- the pages ----------------------------------------------------------------------------------


def test_composition_page_shows_the_default_then_the_administrator_appoints_and_removes(client, committee):
    c = committee
    client.force_login(c.admin)
    url = reverse("comite:composition", args=[c.campaign.pk])
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and "Composition par défaut" in html
    assert {m.pk for m in page.context["members"]} == {m.pk for m in c.members}
    assert (
        client.post(url, {"members": [c.chair.pk, c.others[0].pk]}).status_code == 400
    )  # unconfirmed: nothing done
    assert composition.is_default(c.campaign)
    response = client.post(url, {"members": [c.chair.pk, c.others[0].pk], "confirm": "on"})
    assert response.status_code == 302
    assert set(composition.composition(c.campaign)) == {c.chair, c.others[0]}
    assert "Composition par défaut" not in client.get(url).content.decode()
    remove = reverse("comite:composition-remove", args=[c.campaign.pk, c.others[0].pk])
    assert client.get(remove).status_code == 200
    assert client.post(remove, {"confirm": "on", "motivation": "Démission."}).status_code == 302
    assert set(composition.composition(c.campaign)) == {c.chair}
    assert client.get(reverse("comite:compositions")).status_code == 200


def test_committee_member_reads_the_composition_but_cannot_change_it(client, committee):
    c = committee
    client.force_login(c.others[0])
    url = reverse("comite:composition", args=[c.campaign.pk])
    page = client.get(url)
    assert page.status_code == 200 and page.context["form"] is None
    assert client.post(url, {"members": [c.chair.pk], "confirm": "on"}).status_code == 403
    assert composition.is_default(c.campaign)


def test_session_page_says_the_member_list_follows_the_composition_until_convocation(client, committee):
    c = committee
    instructed_dossier(c.campaign)
    session = new_session(c)
    client.force_login(c.admin)
    html = client.get(reverse("comite:session", args=[session.pk])).content.decode()
    assert "la suit jusqu'à l'envoi de la convocation" in html.replace("&#x27;", "'")
    comite_convocation.build_agenda(session, by=c.admin)
    comite_convocation.send_convocation(session, by=c.admin)
    html = client.get(reverse("comite:session", args=[session.pk])).content.decode()
    assert "la liste est arrêtée depuis la convocation" in html.replace("&#x27;", "'")
