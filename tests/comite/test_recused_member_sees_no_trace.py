"""A member recused on a dossier (déport, règlement: "cannot see the deliberation, cannot vote")
sees no trace of it anywhere (issue 14): not in "Mes tâches" nor its counts, not in search
results, not in the history pages, not on the waiting list, and no notification about it. The
agenda is public to the members (the convocation lists it): the recused member still sees the
item's line — never its vote nor its outcome. The other members see everything as before.

The dossier walks its real process (submission → instruction → agenda), so that its committee
task exists in viewflow.
"""

import datetime as dt
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core import mail
from django.urls import reverse

from fonds import clock
from fonds.comite import convocation as comite_convocation
from fonds.comite import decisions, proxies, sessions, votes
from fonds.comite import sitting as comite_sitting
from fonds.comite.models import AgendaItem
from fonds.dossiers.services import perform
from fonds.instruction.testing import ready_for_completion
from tests.factories import make_campaign, make_commune, make_dossier, make_user
from workflows import queues

from .conftest import at_start

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    """A dossier in committee (its committee task open), a session of four members, one of whom —
    ``member`` — declared a conflict on it before the convocation; ``both`` holds the finance role
    too and is recused as well. The envelope (3,000 €) is below the proposal (5,000 €): an adopted
    approval puts the dossier on the waiting list."""
    campaign = make_campaign(envelope=Decimal("3000.00"))
    commune = make_commune(population=700)
    porteur = make_user("porteur", commune=commune)
    instructeur, admin = make_user("instructeur"), make_user("admin")
    chair = make_user("comite", first_name="Claire", last_name="Présidente")
    member = make_user("comite", first_name="Romain", last_name="Déporté")
    other = make_user("comite", first_name="Olga", last_name="Autre")
    both = make_user(["comite", "finance"], first_name="Fanny", last_name="Finances")
    dossier = make_dossier(campaign=campaign, commune=commune, porteur=porteur)
    perform(dossier, "submit", by=porteur)
    perform(dossier, "start_instruction", by=instructeur)
    opinion = ready_for_completion(dossier, by=instructeur)
    perform(
        dossier,
        "complete_instruction",
        by=instructeur,
        data={"opinion": opinion, "proposed_amount": "5000.00"},
    )
    session = sessions.create_session(
        campaign,
        by=admin,
        starts_at=clock.now() + dt.timedelta(days=10),
        chair=chair,
        place="Salle du conseil",
    )  # convenes the composition: the four committee accounts
    comite_convocation.build_agenda(session, by=admin)
    item = session.items.get(dossier=dossier)
    dossier.refresh_from_db()
    assert dossier.status == "in_committee" and queues.open_task(dossier) is not None
    for recused in (member, both):
        proxies.declare_conflict(item, member=recused, reason="Conseiller municipal de la commune.")
    return SimpleNamespace(
        campaign=campaign,
        dossier=dossier,
        session=session,
        item=item,
        porteur=porteur,
        admin=admin,
        chair=chair,
        member=member,
        other=other,
        both=both,
    )


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Runs the on-commit callbacks of the block (the emails a change queues), as a commit would."""
    return django_capture_on_commit_callbacks


def _decided(world, on_commit) -> AgendaItem:
    """The sitting: convocation (its emails sent), attendance, vote adopted, decision (waitlisted:
    the envelope is short)."""
    session, item, chair = world.session, world.item, world.chair
    with on_commit(execute=True):
        comite_convocation.send_convocation(session, by=world.admin)
    at_start(session)
    comite_sitting.open_sitting(session, by=chair)
    everybody = (chair, world.member, world.other, world.both)
    comite_sitting.record_attendance(session, by=chair, presence={m: "present" for m in everybody})
    votes.open_vote(item, by=chair)
    for voter in (chair, world.other):
        votes.cast_vote(item, by=voter, choice="pour")
    votes.close_vote(item, by=chair)
    decided = decisions.decide(item, by=chair, outcome="approve")
    assert decided.outcome == AgendaItem.Outcome.WAITLISTED
    return decided


def _get(client, user, url):
    client.force_login(user)
    return client.get(url)


def _row(html: str, marker: str) -> str:
    """The table row (``<tr>…</tr>``) of ``html`` that contains ``marker``."""
    for row in re.findall(r"<tr[\s>].*?</tr>", html, flags=re.S):
        if marker in row:
            return row
    raise AssertionError(f"no row with {marker!r}")


# ---- task lists and counts ----------------------------------------------------------------------


def test_recused_member_has_no_task_for_the_dossier(client, world):
    task = queues.open_task(world.dossier)
    assert not queues.open_tasks_for(world.member).filter(pk=task.pk).exists()
    assert not queues.in_queue(world.member, task)
    assert queues.open_tasks_for(world.other).filter(pk=task.pk).exists()
    assert queues.in_queue(world.other, task)
    page = _get(client, world.member, reverse("task-list")).content.decode()
    assert world.dossier.reference not in page
    assert world.dossier.reference in _get(client, world.other, reverse("task-list")).content.decode()


def test_recused_member_task_counts_leave_the_dossier_out(world):
    assert queues.counts_for(world.member) == {}
    assert queues.counts_for(world.other) == {"comite": 1}


def test_recused_member_with_another_role_has_no_committee_task_for_the_dossier(client, world):
    """Finance reads every dossier, recused or not; voting on it is still out of the question."""
    task = queues.open_task(world.dossier)
    assert not queues.open_tasks_for(world.both).filter(pk=task.pk).exists()
    assert not queues.in_queue(world.both, task)
    assert queues.counts_for(world.both).get("comite", 0) == 0
    assert _get(client, world.both, reverse("dossier-detail", args=[world.dossier.pk])).status_code == 200


# ---- search results -----------------------------------------------------------------------------


def test_recused_member_does_not_find_the_dossier_in_search_results(client, world):
    search = (
        reverse("dossier-list") + f"?q={world.dossier.commune.name}"
    )  # the box repeats the query: not the reference
    html = _get(client, world.member, search).content.decode()
    assert world.dossier.reference not in html
    assert reverse("dossier-detail", args=[world.dossier.pk]) not in html
    assert world.dossier.reference in _get(client, world.other, search).content.decode()
    ids = [d["id"] for d in _get(client, world.member, "/api/v1/dossiers/").json()["results"]]
    assert world.dossier.pk not in ids
    ids = [d["id"] for d in _get(client, world.other, "/api/v1/dossiers/").json()["results"]]
    assert world.dossier.pk in ids


# ---- history pages --------------------------------------------------------------------------------


def test_recused_member_reads_no_history_of_the_dossier(client, world):
    for url in (
        reverse("dossier-detail", args=[world.dossier.pk]),
        reverse("suivi:timeline", args=[world.dossier.pk]),
        reverse("reporting:dossier-history", args=[world.dossier.pk]),
        f"/api/v1/dossiers/{world.dossier.pk}/audit/",
    ):
        assert _get(client, world.member, url).status_code == 404, url
        assert _get(client, world.other, url).status_code == 200, url


# ---- the session's agenda and sitting -----------------------------------------------------------


def test_recused_member_sees_the_agenda_line_but_not_its_deliberation(client, world, on_commit):
    item = _decided(world, on_commit)
    reference, outcome = world.dossier.reference, item.get_outcome_display()
    session_url = reverse("comite:session", args=[world.session.pk])
    line = _row(_get(client, world.member, session_url).content.decode(), reference)
    assert "Vous êtes déporté" in line  # the item exists: the agenda is public to the members
    assert outcome not in line and reverse("comite:item", args=[world.session.pk, item.pk]) not in line
    assert outcome in _row(_get(client, world.other, session_url).content.decode(), reference)

    sitting_url = reverse("comite:sitting", args=[world.session.pk])
    line = _row(_get(client, world.member, sitting_url).content.decode(), f'id="point-{item.pk}"')
    assert outcome not in line and "pour" not in line and "voix" not in line
    line = _row(_get(client, world.other, sitting_url).content.decode(), f'id="point-{item.pk}"')
    assert outcome in line and "2 pour" in line

    item_url = reverse("comite:item", args=[world.session.pk, item.pk])
    assert _get(client, world.member, item_url).status_code == 403  # the deliberation itself (existing rule)


def test_recused_member_does_not_see_the_dossier_on_the_waiting_list(client, world, on_commit):
    _decided(world, on_commit)
    url = reverse("comite:envelopes")
    assert world.dossier.reference not in _get(client, world.member, url).content.decode()
    assert world.dossier.reference in _get(client, world.other, url).content.decode()


# ---- notifications --------------------------------------------------------------------------------


def test_recused_member_gets_no_notification_about_the_dossier_beyond_the_convocation(world, on_commit):
    _decided(world, on_commit)
    with on_commit(execute=True):
        decisions.close_session(world.session, by=world.chair)  # minutes, decision letters
    to_member = [m for m in mail.outbox if world.member.email in m.to]
    about_it = [m for m in to_member if world.dossier.reference in m.subject + m.body]
    assert [m.subject.startswith("Convocation") for m in about_it] == [
        True
    ]  # the agenda, sent to every member
    to_mayor = [m for m in mail.outbox if world.porteur.email in m.to]
    assert any(world.dossier.reference in m.body for m in to_mayor)  # the decision letter did leave
