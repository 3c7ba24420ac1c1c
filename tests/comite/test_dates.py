"""Dates cannot lie (issue 13, règlement "Committee" and "Notification and payment"): convocation at
least ``committee.convocation_min_days`` days before the sitting (refused otherwise); no opening
before the scheduled start (less ``committee.open_tolerance_minutes``); the minutes and the
decision letters carry the day the committee sat, never the generation date nor the planned
date when it differs."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from fonds.audit.models import AuditEvent
from fonds.comite import convocation as comite_convocation
from fonds.comite import dates, decisions, sessions, votes
from fonds.comite import sitting as comite_sitting
from fonds.comite.errors import ComiteRefused
from fonds.comite.letters import ensure_decision_letter
from fonds.comite.models import AgendaItem, Session
from fonds.documents.models import GeneratedDocument
from tests.french import french_date

from .conftest import at_start, instructed_dossier, new_session, vote_all

pytestmark = pytest.mark.django_db


def pdf_text(document) -> str:
    with document.file.open("rb") as fh:
        reader = PdfReader(io.BytesIO(fh.read()))
    return " ".join(
        " ".join((page.extract_text() or "") for page in reader.pages).replace("\u00a0", " ").split()
    )


def _planned(c, *, days: int = 6):
    instructed_dossier(c.campaign)
    session = new_session(c, days=days)
    comite_convocation.build_agenda(session, by=c.admin)
    return session


def _rules(campaign, **committee):
    params = campaign.rules.params
    params["committee"].update(committee)
    campaign.rules.new_version(params, note="test")
    campaign.refresh_from_db()


# ---- convocation ---------------------------------------------------------------------------------


def test_convocation_less_than_5_days_ahead_is_refused(committee, clock):
    c = committee
    session = _planned(c, days=6)
    clock.advance(days=1, minutes=1)  # the sitting is now 4 days and 23 hours away
    with pytest.raises(ComiteRefused, match="au moins 5 jours avant la séance") as refused:
        comite_convocation.send_convocation(session, by=c.admin)
    assert refused.value.rules == ["convocation_min_days"] and refused.value.http_status == 400
    session.refresh_from_db()
    assert session.status == Session.Status.PLANNED and not mail.outbox
    assert not AuditEvent.objects.filter(action="comite_convocation").exists()


def test_convocation_exactly_5_days_ahead_is_accepted(committee, clock):
    c = committee
    session = _planned(c, days=6)
    clock.travel_to(session.starts_at - dt.timedelta(days=5), freeze=True)
    assert comite_convocation.send_convocation(session, by=c.admin).session.status == Session.Status.CONVENED


def test_convocation_page_refuses_before_any_input_and_offers_to_change_the_date(client, committee, clock):
    c = committee
    session = _planned(c, days=6)
    clock.advance(days=2)
    client.force_login(c.admin)
    url = reverse("comite:convocation", args=[session.pk])
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and "la convocation est refusée" in html and "au moins 5 jours" in html
    assert reverse("comite:reschedule", args=[session.pk]) in html and 'name="confirm"' not in html
    assert client.post(url, {"confirm": "on"}).status_code == 409
    session.refresh_from_db()
    assert session.status == Session.Status.PLANNED and not mail.outbox


def test_session_less_than_5_days_ahead_cannot_be_created(committee):
    with pytest.raises(ComiteRefused, match="au moins 5 jours avant la séance"):
        new_session(committee, days=4)
    assert not Session.objects.exists()


def test_convocation_delay_is_a_campaign_setting(committee, clock):
    c = committee
    _rules(c.campaign, convocation_min_days=3)
    session = _planned(c, days=4)
    clock.travel_to(
        session.starts_at - dt.timedelta(days=3), freeze=True
    )  # 3 days ahead: enough under this campaign's rules
    assert comite_convocation.send_convocation(session, by=c.admin).session.status == Session.Status.CONVENED


def test_planned_session_is_rescheduled_then_convened(client, committee, clock):
    c = committee
    session = _planned(c, days=6)
    clock.advance(days=3)
    client.force_login(c.admin)
    url = reverse("comite:reschedule", args=[session.pk])
    too_soon = (timezone.localtime(clock.now()) + dt.timedelta(days=4)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, {"starts_at": too_soon, "confirm": "on"})
    assert response.status_code == 400 and "au moins 5 jours" in response.content.decode()
    later = (timezone.localtime(clock.now()) + dt.timedelta(days=8)).strftime("%Y-%m-%dT%H:%M")
    assert client.post(url, {"starts_at": later, "confirm": "on"}).status_code == 302
    session.refresh_from_db()
    assert AuditEvent.objects.filter(action="comite_session_rescheduled", object_id=str(session.pk)).exists()
    comite_convocation.send_convocation(session, by=c.admin)
    with pytest.raises(ComiteRefused, match="convocation est partie"):
        sessions.reschedule_session(session, by=c.admin, starts_at=session.starts_at + dt.timedelta(days=1))


# ---- opening -------------------------------------------------------------------------------------


def test_session_cannot_open_before_its_scheduled_start(committee, clock):
    c = committee
    session = _planned(c, days=6)
    comite_convocation.send_convocation(session, by=c.admin)
    clock.travel_to(
        session.starts_at - dt.timedelta(minutes=16), freeze=True
    )  # 15 minutes of tolerance by default
    with pytest.raises(ComiteRefused) as refused:
        comite_sitting.open_sitting(session, by=c.chair)
    assert refused.value.kind == "too_early" and refused.value.http_status == 409
    when = timezone.localtime(session.starts_at - dt.timedelta(minutes=15))
    assert f"à partir du {when:%d/%m/%Y à %H:%M}" in refused.value.message
    with pytest.raises(ComiteRefused, match="Trop tôt"):
        comite_sitting.record_attendance(session, by=c.chair, presence={c.chair: "present"})
    with pytest.raises(ComiteRefused, match="Trop tôt"):
        comite_sitting.adjourn(session, by=c.chair)
    session.refresh_from_db()
    assert session.status == Session.Status.CONVENED and session.opened_at is None
    clock.advance(minutes=1)
    opened = comite_sitting.open_sitting(session, by=c.chair)
    assert opened.status == Session.Status.SITTING and opened.opened_at == clock.now()


def test_open_tolerance_is_a_campaign_setting(committee, clock):
    c = committee
    _rules(c.campaign, open_tolerance_minutes=60)
    session = _planned(c, days=6)
    comite_convocation.send_convocation(session, by=c.admin)
    clock.travel_to(session.starts_at - dt.timedelta(minutes=59), freeze=True)
    assert comite_sitting.open_sitting(session, by=c.chair).status == Session.Status.SITTING


def test_sitting_page_says_from_when_it_can_be_opened(client, committee, clock):
    c = committee
    session = _planned(c, days=6)
    comite_convocation.send_convocation(session, by=c.admin)
    client.force_login(c.chair)
    html = client.get(reverse("comite:sitting", args=[session.pk])).content.decode()
    when = timezone.localtime(dates.opens_from(session))
    assert f"à partir du <strong>{when:%d/%m/%Y à %H:%M}</strong>" in html
    assert reverse(
        "comite:open-sitting", args=[session.pk]
    ) not in html and "Enregistrer l'émargement" not in html.replace("&#x27;", "'")
    page = client.get(reverse("comite:open-sitting", args=[session.pk]))
    assert page.status_code == 200 and "La séance n'a pas encore commencé" in page.content.decode().replace(
        "&#x27;", "'"
    )
    assert (
        client.post(reverse("comite:open-sitting", args=[session.pk]), {"confirm": "on"}).status_code == 409
    )
    at_start(session)
    html = client.get(reverse("comite:sitting", args=[session.pk])).content.decode()
    assert reverse("comite:open-sitting", args=[session.pk]) in html


# ---- the documents carry the day of the sitting ---------------------------------------------------


def test_decision_letter_and_minutes_carry_the_sitting_date(
    committee, clock, django_capture_on_commit_callbacks
):
    """Issue 13: "a session scheduled for 15/12 was opened and decided on 05/12; the decision letter
    is dated 5 December and says the committee met on 15 December". Opening before the date is
    refused (above); here the committee sits a day late, and the letter is generated two days
    after: both documents say the day it sat."""
    c = committee
    session = _planned(c, days=6)
    comite_convocation.send_convocation(session, by=c.admin)
    planned = timezone.localdate(session.starts_at)
    clock.travel_to(session.starts_at + dt.timedelta(days=1), freeze=True)  # the chair opens a day late
    sat = timezone.localdate(clock.now())
    comite_sitting.open_sitting(session, by=c.chair)
    comite_sitting.record_attendance(session, by=c.chair, presence={m: "present" for m in c.members})
    item = session.items.get()
    votes.open_vote(item, by=c.chair)
    vote_all(item, c, {m: "pour" for m in c.members})
    votes.close_vote(item, by=c.chair)
    decisions.decide(item, by=c.chair, outcome="approve")
    decisions.close_session(session, by=c.chair)
    clock.advance(days=2)  # the letter's task runs two days later (a worker was down)
    letter = ensure_decision_letter(item.pk)
    text = pdf_text(letter)
    assert f"Le {french_date(sat)}" in text and f"lors de sa séance du {french_date(sat)}" in text
    for wrong in (planned, timezone.localdate(clock.now())):
        assert not re.search(rf"(?<!\d){french_date(wrong)}", text), wrong
    session.refresh_from_db()
    minutes = pdf_text(session.minutes)
    weekdays = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
    assert f"séance n° {session.pk} du {weekdays[sat.weekday()]} {french_date(sat)}, ouverte à" in minutes
    assert f"(convoquée pour le {french_date(planned)}" in minutes  # the planned date, named as such


def test_letter_is_dated_the_sitting_day_even_when_the_decision_was_taken_on_time(committee, clock):
    c = committee
    session = _planned(c, days=6)
    comite_convocation.send_convocation(session, by=c.admin)
    at_start(session)
    comite_sitting.open_sitting(session, by=c.chair)
    comite_sitting.record_attendance(session, by=c.chair, presence={m: "present" for m in c.members})
    item = session.items.get()
    decisions.decide(item, by=c.chair, outcome="defer", motivation="Pièce à vérifier.")
    from fonds.comite.letters import letter_context

    context = letter_context(
        AgendaItem.objects.select_related("session", "dossier__campaign", "dossier__commune").get(pk=item.pk)
    )
    assert context["sitting_date"] == timezone.localdate(session.starts_at) and "generated_at" not in context
    assert not GeneratedDocument.objects.filter(
        kind="decision_letter"
    ).exists()  # letters leave at the closing
