"""The chair's pages: open the sitting, attendance, quorum per dossier, open/close each vote, the
tally, the decision (approve, amended amount, reject with motivation, defer), adjournment without
quorum, closing and the minutes PDF (access-checked download)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from fonds.audit.models import AuditEvent
from fonds.comite import convocation, counting, decisions, proxies, votes
from fonds.comite import sitting as comite_sitting
from fonds.comite.models import AgendaItem, Attendance, Session
from fonds.dossiers.states import Status
from tests.factories import make_user

from .conftest import at_start, instructed_dossier, new_session, sitting, vote_all

pytestmark = pytest.mark.django_db


def _convened(c, n=1):
    for i in range(n):
        instructed_dossier(c.campaign, score=80 - i)
    session = new_session(c)
    convocation.build_agenda(session, by=c.admin)
    convocation.send_convocation(session, by=c.admin)
    return session


def test_chair_opens_the_sitting_after_confirmation_and_records_attendance(client, committee):
    c = committee
    session = _convened(c)
    client.force_login(c.chair)
    url = reverse("comite:open-sitting", args=[session.pk])
    at_start(session)
    assert client.post(url, {}).status_code == 400  # unconfirmed
    assert client.post(url, {"confirm": "on"}).status_code == 302
    session.refresh_from_db()
    assert session.status == Session.Status.SITTING
    page = client.get(reverse("comite:sitting", args=[session.pk]))
    assert page.status_code == 200 and "Enregistrer l'émargement" in page.content.decode()
    data = {f"m{m.pk}": "present" for m in c.members[:3]}
    data.update({f"m{m.pk}": "absent" for m in c.members[3:]})
    response = client.post(reverse("comite:attendance", args=[session.pk]), data, follow=True)
    assert "3 membre(s) présent(s) ou représenté(s) sur 5" in response.content.decode()
    assert Attendance.objects.filter(session=session, presence="present").count() == 3


def test_attendance_represented_without_proxy_is_refused_and_the_choices_kept(client, committee):
    c = committee
    session = _convened(c)
    at_start(session)
    comite_sitting.open_sitting(session, by=c.chair)
    client.force_login(c.chair)
    data = {f"m{m.pk}": "present" for m in c.members[:4]}
    data[f"m{c.members[4].pk}"] = "represented"
    response = client.post(reverse("comite:attendance", args=[session.pk]), data)
    html = response.content.decode()
    assert response.status_code == 400 and "n'a pas donné de procuration" in html.replace("&#x27;", "'")
    assert re.search(
        rf'name="m{c.members[4].pk}" value="represented"[^>]*checked', html
    )  # the choice is kept
    assert re.search(rf'name="m{c.members[0].pk}" value="present"[^>]*checked', html)
    assert not Attendance.objects.filter(session=session).exists()


def test_non_chair_member_cannot_drive_the_sitting(client, committee):
    c = committee
    session = sitting(c, 1)
    item = session.items.get()
    client.force_login(c.others[0])
    assert client.post(reverse("comite:open-vote", args=[session.pk, item.pk]), {}).status_code == 403
    assert client.get(reverse("comite:close", args=[session.pk])).status_code == 403
    assert client.post(reverse("comite:attendance", args=[session.pk]), {}).status_code == 403
    item.refresh_from_db()
    assert item.vote_state == AgendaItem.VoteState.PENDING


def test_quorum_shown_per_dossier_after_recusals(client, committee):
    c = committee
    # 5 members, 3 present: quorum 3/5 ≥ 2.5;
    # on the second dossier two present members are recused → 1/3 < 1.5
    session = sitting(
        c,
        2,
        presence={
            c.chair: "present",
            c.others[0]: "present",
            c.others[1]: "present",
            c.others[2]: "absent",
            c.others[3]: "absent",
        },
    )
    first, second = session.items.order_by("rank")
    for member in c.others[:2]:
        proxies.declare_conflict(second, member=member, reason="Élu de la commune.")
    client.force_login(c.chair)
    rows = {r.item.pk: r for r in client.get(reverse("comite:sitting", args=[session.pk])).context["rows"]}
    assert rows[first.pk].quorum.reached and rows[first.pk].quorum.counted == 3
    assert (
        not rows[second.pk].quorum.reached
        and rows[second.pk].quorum.eligible == 3
        and rows[second.pk].quorum.counted == 1
    )
    for item in (first, second):  # the pages' quorum is the services' own
        assert rows[item.pk].quorum == counting.item_quorum(item)
        assert client.get(reverse("comite:item", args=[session.pk, item.pk])).context[
            "quorum"
        ] == counting.item_quorum(item)
    response = client.post(
        reverse("comite:open-vote", args=[session.pk, second.pk]), {"amount": "", "motivation": ""}
    )
    assert response.status_code == 400 and "Quorum non atteint" in response.content.decode()
    second.refresh_from_db()
    assert second.vote_state == AgendaItem.VoteState.PENDING


def test_chair_runs_a_vote_to_approval_with_the_proposed_amount(
    client, committee, django_capture_on_commit_callbacks
):
    c = committee
    session = sitting(c, 1)
    item = session.items.get()
    client.force_login(c.chair)
    assert (
        client.post(
            reverse("comite:open-vote", args=[session.pk, item.pk]), {"amount": "", "motivation": ""}
        ).status_code
        == 302
    )
    vote_all(item, c, {c.others[0]: "pour", c.others[1]: "pour", c.others[2]: "contre"})
    close_url = reverse("comite:close-vote", args=[session.pk, item.pk])
    page = client.get(close_url).content.decode()
    assert "2 pour, 1 contre, 0 abstention(s)" in page
    assert client.post(close_url, {"confirm": "on"}).status_code == 302
    item.refresh_from_db()
    assert item.vote_state == AgendaItem.VoteState.CLOSED and item.tally["adopted"]
    decide_url = reverse("comite:decide", args=[session.pk, item.pk])
    response = client.get(decide_url)
    assert response.status_code == 200 and response.context["form"].initial["outcome"] == "approve"
    assert (
        client.post(
            decide_url, {"outcome": "approve", "amount": str(item.amount), "motivation": "", "confirm": "on"}
        ).status_code
        == 302
    )
    item.refresh_from_db()
    item.dossier.refresh_from_db()
    assert item.outcome == AgendaItem.Outcome.APPROVED and item.dossier.status == Status.APPROVED
    assert item.dossier.approved_amount == Decimal("5000.00")
    html = client.get(reverse("comite:sitting", args=[session.pk])).content.decode()
    assert "2 pour, 1 contre, 0 abst." in html and "Accordé" in html


def test_amended_amount_without_motivation_is_refused_and_with_it_accepted(client, committee):
    c = committee
    session = sitting(c, 1)
    item = session.items.get()
    votes.open_vote(item, by=c.chair)
    vote_all(item, c, {c.chair: "pour", c.others[0]: "pour"})
    votes.close_vote(item, by=c.chair)
    client.force_login(c.chair)
    url = reverse("comite:decide", args=[session.pk, item.pk])
    response = client.post(url, {"outcome": "approve", "amount": "4200", "motivation": "", "confirm": "on"})
    assert response.status_code == 400 and "motivez-le" in response.content.decode()
    assert 'value="4200' in response.content.decode()  # the amount typed is kept
    item.refresh_from_db()
    assert not item.outcome
    assert (
        client.post(
            url,
            {
                "outcome": "approve",
                "amount": "4200",
                "motivation": "Hébergement pris en charge par le partenaire.",
                "confirm": "on",
            },
        ).status_code
        == 302
    )
    item.refresh_from_db()
    assert item.outcome == AgendaItem.Outcome.APPROVED and item.decided_amount == Decimal("4200.00")


def test_reject_requires_a_motivation_in_french(client, committee):
    c = committee
    session = sitting(c, 1)
    item = session.items.get()
    votes.open_vote(item, by=c.chair)
    vote_all(item, c, {c.chair: "contre", c.others[0]: "contre", c.others[1]: "pour"})
    votes.close_vote(item, by=c.chair)
    client.force_login(c.chair)
    url = reverse("comite:decide", args=[session.pk, item.pk])
    response = client.post(url, {"outcome": "reject", "amount": "", "motivation": "", "confirm": "on"})
    assert (
        response.status_code == 400 and "Un refus exige une motivation écrite." in response.content.decode()
    )
    assert (
        client.post(
            url,
            {
                "outcome": "reject",
                "amount": "",
                "motivation": "Programme insuffisamment précis.",
                "confirm": "on",
            },
        ).status_code
        == 302
    )
    item.dossier.refresh_from_db()
    assert item.dossier.status == Status.REJECTED


def test_defer_sends_the_dossier_back_to_instructed(client, committee):
    c = committee
    session = sitting(c, 1)
    item = session.items.get()
    client.force_login(c.chair)
    response = client.post(
        reverse("comite:decide", args=[session.pk, item.pk]),
        {"outcome": "defer", "amount": "", "motivation": "Pièce manquante.", "confirm": "on"},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    item.dossier.refresh_from_db()
    assert item.outcome == AgendaItem.Outcome.DEFERRED and item.dossier.status == Status.INSTRUCTED


def test_adjourn_without_quorum_after_confirmation(client, committee):
    c = committee
    session = sitting(
        c,
        1,
        presence={
            c.chair: "present",
            c.others[0]: "present",
            c.others[1]: "absent",
            c.others[2]: "absent",
            c.others[3]: "absent",
        },
    )
    client.force_login(c.chair)
    sitting_page = client.get(reverse("comite:sitting", args=[session.pk])).content.decode()
    assert (
        reverse("comite:adjourn", args=[session.pk]) in sitting_page and "quorum non atteint" in sitting_page
    )
    url = reverse("comite:adjourn", args=[session.pk])
    assert client.post(url, {"motivation": "2 présents sur 5."}).status_code == 400  # unconfirmed
    assert client.post(url, {"motivation": "2 présents sur 5.", "confirm": "on"}).status_code == 302
    session.refresh_from_db()
    assert session.status == Session.Status.ADJOURNED
    assert AuditEvent.objects.filter(action="comite_adjourned", object_id=str(session.pk)).exists()


def test_adjourn_refused_when_quorum_is_reached(client, committee):
    c = committee
    session = sitting(c, 1)
    client.force_login(c.chair)
    assert (
        reverse("comite:adjourn", args=[session.pk])
        not in client.get(reverse("comite:sitting", args=[session.pk])).content.decode()
    )
    response = client.post(reverse("comite:adjourn", args=[session.pk]), {"confirm": "on"})
    assert response.status_code == 400 and "Le quorum est atteint" in response.content.decode()
    session.refresh_from_db()
    assert session.status == Session.Status.SITTING


def test_close_session_then_minutes_downloaded_by_members_only(
    client, committee, django_capture_on_commit_callbacks
):
    c = committee
    session = sitting(c, 1)
    item = session.items.get()
    client.force_login(c.chair)
    close_url = reverse("comite:close", args=[session.pk])
    # an undecided dossier: closing is not offered, and refused
    assert client.post(close_url, {"confirm": "on"}).status_code == 400
    decisions.decide(item, by=c.chair, outcome="defer", motivation="Reporté.")
    assert client.post(close_url, {}).status_code == 400  # unconfirmed
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(close_url, {"confirm": "on"}).status_code == 302
    session.refresh_from_db()
    assert session.status == Session.Status.CLOSED and session.minutes_id
    page = client.get(reverse("comite:session", args=[session.pk])).content.decode()
    assert session.minutes_sha256 in page
    minutes_url = reverse("comite:minutes", args=[session.pk])
    client.force_login(c.others[0])
    response = client.get(minutes_url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert (
        response["Cache-Control"] == "private, no-store" and "attachment" in response["Content-Disposition"]
    )
    client.force_login(make_user("comite"))
    assert client.get(minutes_url).status_code == 404
    client.force_login(make_user("porteur", commune=item.dossier.commune))
    assert client.get(minutes_url).status_code == 403


def test_minutes_not_available_before_closing(client, committee):
    c = committee
    session = sitting(c, 1)
    client.force_login(c.chair)
    assert client.get(reverse("comite:minutes", args=[session.pk])).status_code == 404
