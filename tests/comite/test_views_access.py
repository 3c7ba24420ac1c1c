"""Comité pages: who may reach them (403 before any lookup for other roles, 404 for a session the
member does not sit on), the navigation entry, and query counts of the list pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from fonds.comite import composition
from fonds.comite import sessions as comite_sessions
from fonds.comite import votes as comite_votes
from tests.factories import make_campaign, make_user

from .conftest import new_session, sitting

pytestmark = pytest.mark.django_db


def _pages(session, item):
    return [
        reverse("comite:sessions"),
        reverse("comite:session", args=[session.pk]),
        reverse("comite:sitting", args=[session.pk]),
        reverse("comite:item", args=[session.pk, item.pk]),
    ]


@pytest.mark.parametrize("role", ["porteur", "instructeur", "finance"])
def test_pages_refused_with_403_to_porteur_instructor_and_finance(client, committee, role):
    session = sitting(committee, 1)
    item = session.items.get()
    user = make_user(role, commune=item.dossier.commune if role == "porteur" else None)
    client.force_login(user)
    for url in [
        *_pages(session, item),
        reverse("comite:session-create"),
        reverse("comite:agenda", args=[session.pk]),
        reverse("comite:envelopes"),
    ]:
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Accès réservé au comité" in response.content.decode()
    response = client.post(
        reverse("comite:vote", args=[session.pk, item.pk]), {"prefixe": "moi", "moi-choice": "pour"}
    )
    assert response.status_code == 403
    assert not item.votes.exists()


def test_forbidden_page_is_the_same_for_an_unknown_session(client, committee):
    client.force_login(make_user("instructeur"))
    assert client.get(reverse("comite:session", args=[999999])).status_code == 403


def test_anonymous_is_sent_to_login(client, committee):
    response = client.get(reverse("comite:sessions"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_member_not_sitting_on_a_session_gets_404(client, committee):
    session = sitting(committee, 1)
    outsider = make_user("comite")
    client.force_login(outsider)
    assert client.get(reverse("comite:session", args=[session.pk])).status_code == 404
    assert client.get(reverse("comite:item", args=[session.pk, session.items.get().pk])).status_code == 404
    assert client.get(reverse("comite:minutes", args=[session.pk])).status_code == 404
    assert session.pk not in [s.pk for s in client.get(reverse("comite:sessions")).context["sessions"]]


def test_auditor_reads_every_page_but_never_posts(client, committee):
    session = sitting(committee, 1)
    item = session.items.get()
    client.force_login(make_user("auditeur"))
    for url in _pages(session, item):
        assert client.get(url).status_code == 200, url
    response = client.post(
        reverse("comite:vote", args=[session.pk, item.pk]), {"prefixe": "moi", "moi-choice": "pour"}
    )
    assert response.status_code == 403 and "Lecture seule" in response.content.decode()
    assert client.post(reverse("comite:session-create"), {}).status_code == 403


def test_member_sees_only_sessions_they_sit_on_and_admin_sees_all(client, committee):
    c = committee
    mine = new_session(c)
    other_member = make_user("comite")
    elsewhere = make_campaign()  # another campaign whose committee is appointed: other_member alone
    composition.appoint(elsewhere, by=c.admin, members=[other_member])
    comite_sessions.create_session(
        elsewhere, by=c.admin, starts_at=mine.starts_at, chair=other_member, place="Lyon"
    )
    client.force_login(c.others[0])
    listed = [s.pk for s in client.get(reverse("comite:sessions")).context["sessions"]]
    assert listed == [mine.pk]
    client.force_login(c.admin)
    assert len(client.get(reverse("comite:sessions")).context["sessions"]) == 2


@pytest.mark.parametrize(
    "role,shown",
    [("comite", True), ("admin", True), ("auditeur", True), ("instructeur", False), ("porteur", False)],
)
def test_navigation_shows_comite_for_committee_admin_and_auditor_only(client, committee, role, shown):
    from tests.factories import make_commune

    user = make_user(role, commune=make_commune() if role == "porteur" else None)
    client.force_login(user)
    html = client.get(
        reverse("dossier-list") if role != "porteur" else reverse("depot:my-dossiers")
    ).content.decode()
    assert (f'href="{reverse("comite:sessions")}"' in html) is shown


def test_sessions_list_query_count_does_not_grow_with_sessions(
    client, committee, django_assert_max_num_queries
):
    c = committee
    for _ in range(3):
        new_session(c)
    client.force_login(c.admin)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("comite:sessions")).status_code == 200
    for _ in range(12):
        new_session(c)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("comite:sessions"))
    assert len(response.context["sessions"]) == 15
    assert response.context["sessions"][0].n_members == len(c.members)


def test_session_and_sitting_pages_query_count_does_not_grow_with_the_agenda(
    client, committee, django_assert_max_num_queries
):
    c = committee
    session = sitting(c, 3)
    client.force_login(c.chair)
    # 11: the header's unread notifications count (issue 16) is one query on every signed-in page
    with django_assert_max_num_queries(11):
        assert client.get(reverse("comite:session", args=[session.pk])).status_code == 200
    with django_assert_max_num_queries(22):
        assert client.get(reverse("comite:sitting", args=[session.pk])).status_code == 200
    # twelve dossiers more: same bound
    big = sitting(c, 12)
    with django_assert_max_num_queries(11):
        assert client.get(reverse("comite:session", args=[big.pk])).status_code == 200
    with django_assert_max_num_queries(22):
        response = client.get(reverse("comite:sitting", args=[big.pk]))
    assert len(response.context["rows"]) == 12 and all(r.quorum.reached for r in response.context["rows"])


def test_deliberation_page_query_count_does_not_grow_with_votes(
    client, committee, django_assert_max_num_queries
):
    c = committee
    session = sitting(c, 2)
    item = session.items.order_by("rank").first()
    comite_votes.open_vote(item, by=c.chair)
    client.force_login(c.chair)
    url = reverse("comite:item", args=[session.pk, item.pk])
    # 19: one query for the expert opinions shared with the committee (issue 20, fonds.avis)
    with django_assert_max_num_queries(19):
        assert client.get(url).status_code == 200
    for member in c.members[1:]:
        comite_votes.cast_vote(item, by=member, choice="pour")
    with django_assert_max_num_queries(19):  # the live tally counts the votes the page read
        response = client.get(url)
    assert response.context["tally"].pour == len(c.members) - 1
    with django_assert_max_num_queries(
        16
    ):  # the vote itself (savepoint and audit chain included); its redirect is the page above
        assert client.post(url + "vote/", {"prefixe": "moi", "moi-choice": "contre"}).status_code == 302
    comite_votes.close_vote(item, by=c.chair)
    with django_assert_max_num_queries(19):
        response = client.get(url)
    assert len(response.context["votes"]) == len(c.members)


def test_session_history_shows_the_latest_events_and_says_older_ones_are_left_out(
    client, committee, monkeypatch
):
    from fonds.comite import queries

    c = committee
    session = sitting(c, 1)
    item = session.items.get()
    comite_votes.open_vote(item, by=c.chair)
    for choice in ("pour", "contre", "abstention", "pour"):  # a member changes their vote: 4 events
        comite_votes.cast_vote(item, by=c.others[0], choice=choice)
    client.force_login(c.chair)
    url = reverse("comite:session", args=[session.pk])
    response = client.get(url)
    everything = response.context["events"]
    assert not response.context["older_events"]
    monkeypatch.setattr(queries, "SESSION_EVENTS_SHOWN", 3)
    monkeypatch.setattr(queries.session_events, "__defaults__", (3,))
    response = client.get(url)
    shown = response.context["events"]
    assert [e.seq for e in shown] == [e.seq for e in everything][-3:]  # the most recent, oldest first
    assert response.context["older_events"]
    assert "Les 3 derniers événements" in response.content.decode()
