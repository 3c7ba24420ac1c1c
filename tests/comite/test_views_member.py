"""Member pages: the agenda and each dossier's summary, conflict declarations (recusal hides the
deliberation and the votes), proxies, and voting while the item's vote is open."""

from __future__ import annotations

import pytest
from django.urls import reverse

from fonds.audit.models import AuditEvent
from fonds.comite import convocation
from fonds.comite import proxies as comite_proxies
from fonds.comite import sitting as comite_sitting
from fonds.comite import votes as comite_votes
from fonds.comite.models import ConflictDeclaration, Proxy, Vote
from fonds.instruction.models import Score

from .conftest import at_start, instructed_dossier, new_session, sitting

pytestmark = pytest.mark.django_db


def _vote(client, item, choice, prefix="moi"):
    return client.post(
        reverse("comite:vote", args=[item.session_id, item.pk]),
        {"prefixe": prefix, f"{prefix}-choice": choice},
    )


def test_member_reads_the_summary_grid_opinion_and_proposed_amount(client, committee):
    c = committee
    dossier = instructed_dossier(c.campaign, score=72, proposed="4321.00")
    Score.objects.create(
        dossier=dossier,
        criterion="participation",
        points=21,
        comment="Les jeunes ont co-construit le programme.",
        rules_version=1,
    )
    session = new_session(c)
    convocation.build_agenda(session, by=c.admin)
    item = session.items.get()
    client.force_login(c.others[0])
    response = client.get(reverse("comite:item", args=[session.pk, item.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert dossier.title in html and dossier.commune.name in html
    assert "Les jeunes ont co-construit le programme." in html and "21" in html  # the instructor's grid
    assert "Favorable" in html  # the instructor's opinion
    assert "<strong>4\xa0321\xa0€</strong>" in html  # the proposed amount
    assert "Le vote n'est pas encore ouvert" in html


def test_member_declares_a_conflict_and_is_then_refused_the_deliberation(client, committee):
    c = committee
    session = sitting(c, 1)
    item = session.items.get()
    member = c.others[1]
    client.force_login(member)
    url = reverse("comite:conflict", args=[session.pk, item.pk])
    assert client.get(url).status_code == 200
    # the confirmation is required, the reason too: nothing recorded, the typed reason kept
    response = client.post(url, {"reason": "Adjoint au maire de cette commune."})
    assert response.status_code == 400 and "Adjoint au maire de cette commune." in response.content.decode()
    assert not ConflictDeclaration.objects.filter(member=member).exists()
    response = client.post(url, {"reason": "Adjoint au maire de cette commune.", "confirm": "on"})
    assert response.status_code == 302
    assert ConflictDeclaration.objects.filter(item=item, member=member).exists()
    # the deliberation and the votes are now refused, and the attempt is audited
    response = client.get(reverse("comite:item", args=[session.pk, item.pk]))
    assert response.status_code == 403 and "déporté" in response.content.decode()
    assert item.dossier.title not in response.content.decode()
    assert AuditEvent.objects.filter(action="comite_read_refused", actor_id=member.pk).exists()
    page = client.get(reverse("comite:session", args=[session.pk])).content.decode()
    assert "Vous êtes déporté" in page and reverse("comite:item", args=[session.pk, item.pk]) not in page
    sitting_page = client.get(reverse("comite:sitting", args=[session.pk])).content.decode()
    assert reverse("comite:item", args=[session.pk, item.pk]) not in sitting_page


def test_recused_member_cannot_vote_refused_and_audited(client, committee):
    c = committee
    session = sitting(c, 1)
    item = session.items.get()
    member = c.others[2]
    comite_proxies.declare_conflict(item, member=member, reason="Élu de l'intercommunalité.")
    comite_votes.open_vote(item, by=c.chair)
    client.force_login(member)
    response = _vote(client, item, "pour")
    assert response.status_code == 403 and "déporté" in response.content.decode()
    assert not Vote.objects.filter(elector=member).exists()
    assert AuditEvent.objects.filter(action="comite_vote_refused", actor_id=member.pk).exists()


def test_vote_recorded_changed_while_open_and_refused_after_close(client, committee):
    c = committee
    session = sitting(c, 1)
    item = session.items.get()
    member = c.others[0]
    client.force_login(member)
    # not open yet: no form, and a POST is refused
    html = client.get(reverse("comite:item", args=[session.pk, item.pk])).content.decode()
    assert 'name="moi-choice"' not in html
    assert _vote(client, item, "pour").status_code == 409
    comite_votes.open_vote(item, by=c.chair)
    html = client.get(reverse("comite:item", args=[session.pk, item.pk])).content.decode()
    assert 'name="moi-choice"' in html and "csrfmiddlewaretoken" in html
    assert _vote(client, item, "pour").status_code == 302
    assert Vote.objects.get(item=item, elector=member).choice == "pour"
    assert _vote(client, item, "contre").status_code == 302
    assert Vote.objects.get(item=item, elector=member).choice == "contre"
    comite_votes.close_vote(item, by=c.chair)
    response = _vote(client, item, "pour")
    assert response.status_code == 409 and "est clos" in response.content.decode()
    assert Vote.objects.get(item=item, elector=member).choice == "contre"


def test_vote_without_a_choice_is_refused_in_french(client, committee):
    c = committee
    session = sitting(c, 1)
    item = session.items.get()
    comite_votes.open_vote(item, by=c.chair)
    client.force_login(c.others[0])
    response = client.post(reverse("comite:vote", args=[session.pk, item.pk]), {"prefixe": "moi"})
    assert (
        response.status_code == 400 and "choisissez pour, contre ou abstention" in response.content.decode()
    )
    assert not Vote.objects.exists()


def test_member_gives_a_proxy_and_a_holder_of_one_is_refused_a_second(client, committee):
    c = committee
    session = new_session(c)
    holder = c.others[0]
    client.force_login(c.others[1])
    url = reverse("comite:proxy", args=[session.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"holder": holder.pk, "confirm": "on"}).status_code == 302
    assert Proxy.objects.filter(session=session, giver=c.others[1], holder=holder).exists()
    client.force_login(c.others[2])
    response = client.post(url, {"holder": holder.pk, "confirm": "on"})
    assert response.status_code == 400 and "détient déjà 1 procuration" in response.content.decode()
    assert Proxy.objects.filter(session=session).count() == 1


def test_proxy_holder_votes_for_the_absent_giver(client, committee):
    c = committee
    giver, holder = c.others[3], c.others[0]
    session = new_session(c)
    comite_proxies.give_proxy(session, giver=giver, holder=holder)
    instructed_dossier(c.campaign)
    convocation.build_agenda(session, by=c.admin)
    convocation.send_convocation(session, by=c.admin)
    at_start(session)
    comite_sitting.open_sitting(session, by=c.chair)
    presence = {m: "present" for m in c.members if m != giver}
    presence[giver] = "represented"
    comite_sitting.record_attendance(session, by=c.chair, presence=presence)
    item = session.items.get()
    comite_votes.open_vote(item, by=c.chair)
    client.force_login(holder)
    html = client.get(reverse("comite:item", args=[session.pk, item.pk])).content.decode()
    assert f'name="p{giver.pk}-choice"' in html and "pour le compte de" in html
    assert _vote(client, item, "abstention", prefix=f"p{giver.pk}").status_code == 302
    vote = Vote.objects.get(item=item, elector=giver)
    assert vote.member == holder and vote.cast_for == giver and vote.choice == "abstention"


def test_session_history_lists_each_step_but_hides_a_recused_members_dossier_events(client, committee):
    c = committee
    session = sitting(c, 2)
    first, second = session.items.order_by("rank")
    member = c.others[0]
    comite_proxies.declare_conflict(second, member=member, reason="Élu de la commune.")
    comite_votes.open_vote(first, by=c.chair)
    comite_votes.open_vote(second, by=c.chair)
    comite_votes.cast_vote(first, by=c.others[1], choice="pour")
    comite_votes.cast_vote(second, by=c.others[1], choice="contre")
    client.force_login(c.chair)
    html = client.get(reverse("comite:session", args=[session.pk])).content.decode()
    for label in (
        "Séance du comité créée",
        "Ordre du jour établi",
        "Convocation envoyée",
        "Émargement",
        "Conflit d&#x27;intérêts déclaré",
        "Vote ouvert",
        "Vote exprimé",
        "Président de séance",
    ):
        assert label in html, label
    assert f"dossier {second.dossier.reference}" in html
    client.force_login(member)
    html = client.get(reverse("comite:session", args=[session.pk])).content.decode()
    assert f"dossier {first.dossier.reference}" in html and f"dossier {second.dossier.reference}" not in html


def test_member_revokes_the_proxy_they_gave(client, committee):
    c = committee
    session = new_session(c)
    comite_proxies.give_proxy(session, giver=c.others[1], holder=c.others[0])
    client.force_login(c.others[1])
    page = client.get(reverse("comite:session", args=[session.pk])).content.decode()
    assert "Retirer ma procuration" in page
    assert client.post(reverse("comite:proxy-revoke", args=[session.pk])).status_code == 302
    assert not Proxy.objects.filter(session=session).exists()


def test_vote_without_csrf_token_is_refused(committee):
    from django.test import Client

    c = committee
    session = sitting(c, 1)
    item = session.items.get()
    comite_votes.open_vote(item, by=c.chair)
    client = Client(enforce_csrf_checks=True)
    client.force_login(c.others[0])
    response = client.post(
        reverse("comite:vote", args=[session.pk, item.pk]), {"prefixe": "moi", "moi-choice": "pour"}
    )
    assert response.status_code == 403 and not Vote.objects.exists()
