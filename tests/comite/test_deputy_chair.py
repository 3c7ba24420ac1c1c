"""The deputy chair (président de séance suppléant): presides over the items on which the chair is
recused — opens and closes the vote, records the outcome, and holds the casting vote on a tie.
When both are recused nobody may preside: the vote is refused and the item can only be deferred."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from fonds import clock
from fonds.audit.models import AuditEvent
from fonds.comite import composition, decisions, proxies, reading, sessions, votes
from fonds.comite.errors import ComiteRefused
from fonds.comite.models import AgendaItem, Session
from fonds.dossiers.states import Status
from tests.factories import make_campaign

from .conftest import sitting, vote_all

pytestmark = pytest.mark.django_db


def _recuse(item, member):
    proxies.declare_conflict(item, member=member, reason="Élu de la commune.")


def test_session_records_its_deputy_chair_who_must_be_another_member(committee):
    c = committee
    deputy = c.others[0]
    starts = clock.now() + dt.timedelta(days=10)
    session = sessions.create_session(
        c.campaign, by=c.admin, starts_at=starts, chair=c.chair, place="Paris", deputy_chair=deputy
    )
    assert session.deputy_chair == deputy
    assert (
        AuditEvent.objects.get(action="comite_session_created").data["payload"]["deputy_chair"] == deputy.pk
    )
    with pytest.raises(ComiteRefused, match="autre membre que le président"):
        sessions.create_session(
            c.campaign, by=c.admin, starts_at=starts, chair=c.chair, place="Paris", deputy_chair=c.chair
        )
    # the deputy chair is one of the campaign's committee composition
    elsewhere = make_campaign()
    composition.appoint(elsewhere, by=c.admin, members=[c.chair, *c.others[1:]])
    with pytest.raises(ComiteRefused, match="parmi les membres de la composition"):
        sessions.create_session(
            elsewhere, by=c.admin, starts_at=starts, chair=c.chair, place="Paris", deputy_chair=deputy
        )


def test_recused_chair_deputy_presides_and_casting_vote_is_the_deputys_on_a_tie(committee):
    c = committee
    deputy = c.others[0]
    session = sitting(c, 1, deputy_chair=deputy)
    item = session.items.get()
    _recuse(item, c.chair)
    assert reading.presiding_member_id(item) == deputy.pk
    with pytest.raises(ComiteRefused) as refused:
        votes.open_vote(item, by=c.chair)
    assert refused.value.kind == "recused" and "suppléant" in refused.value.message
    votes.open_vote(item, by=deputy)
    # 4 eligible voters (chair recused): 2 pour (the deputy among them), 2 contre — a tie
    vote_all(item, c, {deputy: "pour", c.others[1]: "pour", c.others[2]: "contre", c.others[3]: "contre"})
    with pytest.raises(ComiteRefused):
        votes.close_vote(item, by=c.chair)
    result = votes.close_vote(item, by=deputy)
    assert result.tie and result.casting_vote and result.adopted and result.chair_choice == "pour"
    opened = AuditEvent.objects.get(action="comite_vote_opened")
    assert opened.actor_role == "president_suppleant" and opened.data["payload"]["presiding"] == deputy.pk
    with pytest.raises(ComiteRefused):
        decisions.decide(item, by=c.chair, outcome="approve")
    decided = decisions.decide(item, by=deputy, outcome="approve")
    assert decided.outcome == AgendaItem.Outcome.APPROVED and decided.decided_by == deputy
    assert AuditEvent.objects.get(action="comite_outcome").actor_role == "president_suppleant"


def test_tie_broken_by_deputy_contre_is_not_adopted_and_chairs_absent_vote_does_not_count(committee):
    c = committee
    deputy = c.others[0]
    session = sitting(c, 1, deputy_chair=deputy)
    item = session.items.get()
    _recuse(item, c.chair)
    votes.open_vote(item, by=deputy)
    vote_all(item, c, {deputy: "contre", c.others[1]: "pour", c.others[2]: "pour", c.others[3]: "contre"})
    result = votes.close_vote(item, by=deputy)
    assert result.tie and result.casting_vote and not result.adopted and result.chair_choice == "contre"


def test_chair_still_presides_and_holds_the_casting_vote_when_not_recused(committee):
    c = committee
    deputy = c.others[0]
    session = sitting(c, 1, deputy_chair=deputy)
    item = session.items.get()
    with pytest.raises(ComiteRefused) as refused:
        votes.open_vote(item, by=deputy)
    assert refused.value.kind == "role"
    votes.open_vote(item, by=c.chair)
    vote_all(
        item,
        c,
        {
            c.chair: "contre",
            deputy: "pour",
            c.others[1]: "pour",
            c.others[2]: "contre",
            c.others[3]: "abstention",
        },
    )
    result = votes.close_vote(item, by=c.chair)
    assert result.tie and result.chair_choice == "contre" and not result.adopted


def test_close_all_votes_closes_only_the_items_each_presiding_member_presides(committee):
    c = committee
    deputy = c.others[0]
    session = sitting(c, 2, deputy_chair=deputy)
    first, second = session.items.order_by("rank")
    _recuse(second, c.chair)
    votes.open_vote(first, by=c.chair)
    votes.open_vote(second, by=deputy)
    vote_all(second, c, {deputy: "pour", c.others[1]: "contre"})
    assert set(votes.close_all_votes(session, by=c.chair)) == {first.pk}
    results = votes.close_all_votes(session, by=deputy)
    assert set(results) == {second.pk} and results[second.pk].casting_vote and results[second.pk].adopted


def test_chair_and_deputy_both_recused_vote_refused_with_advice_to_defer_then_chair_defers(committee):
    c = committee
    deputy = c.others[0]
    session = sitting(c, 1, deputy_chair=deputy)
    item = session.items.get()
    _recuse(item, c.chair)
    _recuse(item, deputy)
    assert reading.presiding_member_id(item) is None
    for who in (c.chair, deputy, c.others[1]):
        with pytest.raises(ComiteRefused) as refused:
            votes.open_vote(item, by=who)
        assert refused.value.kind == "recused"
        assert "tous deux déportés" in refused.value.message and "Ajournez l'examen" in refused.value.message
    with pytest.raises(ComiteRefused):
        decisions.decide(item, by=c.chair, outcome="approve")
    with pytest.raises(ComiteRefused):
        decisions.decide(item, by=c.others[1], outcome="defer")
    deferred = decisions.decide(
        item, by=c.chair, outcome="defer", motivation="Président et suppléant déportés."
    )
    assert deferred.outcome == AgendaItem.Outcome.DEFERRED
    assert deferred.dossier.status == Status.INSTRUCTED


def test_recused_chair_without_deputy_cannot_open_the_vote(committee):
    c = committee
    session = sitting(c, 1)
    item = session.items.get()
    _recuse(item, c.chair)
    with pytest.raises(ComiteRefused, match="pas de président de séance suppléant"):
        votes.open_vote(item, by=c.chair)


def test_session_form_takes_a_deputy_chair_among_the_composition(client, committee):
    c = committee
    client.force_login(c.admin)
    data = {
        "campaign": c.campaign.pk,
        "starts_at": (clock.localnow() + dt.timedelta(days=12)).strftime("%Y-%m-%dT%H:%M"),
        "place": "Salle du conseil",
        "video_link": "",
        "chair": c.chair.pk,
        "follows": "",
        "deputy_chair": c.chair.pk,
    }
    response = client.post(reverse("comite:session-create"), data)
    assert response.status_code == 400 and "un autre membre que le président" in response.content.decode()
    assert not Session.objects.exists()
    data["deputy_chair"] = c.others[0].pk
    assert client.post(reverse("comite:session-create"), data).status_code == 302
    assert Session.objects.get().deputy_chair == c.others[0]


def test_sitting_page_shows_who_presides_each_item_and_deputy_deliberates(client, committee):
    c = committee
    deputy = c.others[0]
    session = sitting(c, 2, deputy_chair=deputy)
    first, second = session.items.order_by("rank")
    _recuse(second, c.chair)
    client.force_login(deputy)
    html = client.get(reverse("comite:sitting", args=[session.pk])).content.decode()
    assert "suppléant (président déporté)" in html
    assert f'href="{reverse("comite:item", args=[session.pk, second.pk])}#vote">Délibérer' in html
    assert f'href="{reverse("comite:item", args=[session.pk, first.pk])}#vote">Délibérer' not in html
    response = client.post(
        reverse("comite:open-vote", args=[session.pk, second.pk]),
        {"amount": str(second.proposed_amount), "motivation": ""},
    )
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.vote_state == AgendaItem.VoteState.OPEN
    assert (
        client.post(
            reverse("comite:open-vote", args=[session.pk, first.pk]),
            {"amount": str(first.proposed_amount), "motivation": ""},
        ).status_code
        == 403
    )
    page = client.get(reverse("comite:item", args=[session.pk, second.pk])).content.decode()
    assert "Préside ce point" in page and "président de séance suppléant" in page


def test_minutes_name_the_deputy_chair_and_their_casting_vote(committee, django_capture_on_commit_callbacks):
    from .test_minutes import pdf_text

    c = committee
    deputy = c.others[0]
    session = sitting(c, 1, deputy_chair=deputy)
    item = session.items.get()
    _recuse(item, c.chair)
    votes.open_vote(item, by=deputy)
    vote_all(item, c, {deputy: "pour", c.others[1]: "pour", c.others[2]: "contre", c.others[3]: "contre"})
    votes.close_vote(item, by=deputy)
    decisions.decide(item, by=deputy, outcome="approve")
    with django_capture_on_commit_callbacks(execute=True):
        session = decisions.close_session(session, by=c.chair)
    text = pdf_text(session.minutes)
    assert (
        "Président·e de séance suppléant·e (points sur lesquels la présidence est déportée) : Bruno Membre1"
        in text
    )
    assert "(voix prépondérante du président de séance suppléant, le président étant déporté)" in text
