"""Campaigns: clone an earlier one (window, envelope, committee dates, activity period, rules and
grid, committee composition, document texts), a checklist before the window opens, and once
open only forward changes (extension, top-up), each with a motivation and one audit event."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from fonds import clock
from fonds.administration import campaigns, parameters, versions
from fonds.administration.guards import AdminRefused
from fonds.administration.models import DocumentTexts
from fonds.audit.models import AuditEvent
from fonds.comite.models import CommitteeMember
from fonds.dossiers.models import Dossier
from fonds.eligibilite.rules.campaign import e9_submission_window
from tests.factories import make_campaign, make_commune, make_dossier, make_user

pytestmark = pytest.mark.django_db


def _events_since(n):
    return list(AuditEvent.objects.order_by("seq")[n:])


def _texts(campaign):
    return DocumentTexts.objects.create(
        campaign=campaign,
        authority="MEAE",
        fund_address="1 rue X",
        signatory_name="A. B.",
        signatory_title="Directrice",
        legal_mentions="Mentions",
    )


def _future_fields(source, **extra):
    fields = campaigns.clone_defaults(source)
    now = clock.now()
    fields.update(
        opens_at=now + dt.timedelta(days=10),
        closes_at=now + dt.timedelta(days=70),
        committee_dates=[(now + dt.timedelta(days=90)).date()],
    )
    fields.update(extra)
    return fields


def test_clone_copies_rules_grid_composition_and_texts_one_event():
    admin = make_user("admin")
    source = make_campaign()
    versions.publish_version(
        source,
        parameters.apply(source.rules.params, {"eligibility__max_population": 4000}),
        by=admin,
        motivation="m",
        migration=versions.MOVE,
    )
    member = make_user("comite")
    CommitteeMember.objects.create(campaign=source, member=member, appointed_by=admin)
    _texts(source)
    n = AuditEvent.objects.count()
    clone = campaigns.clone_campaign(source, by=admin, fields=_future_fields(source), motivation="Appel 2")
    assert clone.rules.version == 1
    assert clone.rules.params == source.rules.params
    assert clone.rules.params["eligibility"]["max_population"] == 4000
    assert list(CommitteeMember.objects.filter(campaign=clone).values_list("member", flat=True)) == [
        member.pk
    ]
    assert DocumentTexts.objects.get(campaign=clone).signatory_name == "A. B."
    assert clone.envelope == source.envelope
    events = _events_since(n)
    assert [e.action for e in events] == ["campaign_cloned"]
    payload = events[0].data["payload"]
    assert payload["before"] is None and payload["after"]["name"] == clone.name
    assert payload["after"]["rules_from"] == {"campaign": source.pk, "version": 2}


def test_clone_refuses_a_bad_window_in_french_and_creates_nothing():
    admin = make_user("admin")
    source = make_campaign()
    fields = _future_fields(source)
    fields["closes_at"] = fields["opens_at"] - dt.timedelta(days=1)
    count = type(source).objects.count()
    with pytest.raises(Exception, match="clôture doit être postérieure"):
        campaigns.clone_campaign(source, by=admin, fields=fields, motivation="m")
    assert type(source).objects.count() == count


def test_checklist_lists_what_is_missing_before_opening():
    admin = make_user("admin")
    source = make_campaign()
    clone = campaigns.clone_campaign(
        source, by=admin, fields=_future_fields(source, committee_dates=[]), motivation="m"
    )
    missing = [c.label for c in campaigns.checklist(clone) if not c.ok]
    assert missing == ["Dates de comité", "Composition du comité", "Textes des documents"]
    with pytest.raises(AdminRefused, match="Il manque avant l'ouverture"):
        campaigns.open_window(clone, by=admin, motivation="m")


def test_open_window_when_checklist_is_complete():
    admin = make_user("admin")
    make_user("comite")
    source = make_campaign()
    _texts(source)
    clone = campaigns.clone_campaign(source, by=admin, fields=_future_fields(source), motivation="m")
    assert not campaigns.is_open(clone)
    n = AuditEvent.objects.count()
    opened = campaigns.open_window(clone, by=admin, motivation="Ouverture")
    assert campaigns.is_open(opened)
    [event] = _events_since(n)
    assert event.action == "campaign_window_opened"
    assert event.data["payload"]["before"]["opens_at"] != event.data["payload"]["after"]["opens_at"]


def test_open_campaign_window_only_moves_forward():
    admin = make_user("admin")
    campaign = make_campaign()
    earlier = campaign.closes_at - dt.timedelta(days=1)
    with pytest.raises(AdminRefused, match="ne peut qu'être repoussée"):
        campaigns.extend_window(campaign, by=admin, closes_at=earlier, motivation="m")
    with pytest.raises(AdminRefused, match="seules une prolongation"):
        campaigns.adjust_campaign(campaign, by=admin, fields={"opens_at": clock.now()}, motivation="m")
    n = AuditEvent.objects.count()
    later = campaign.closes_at + dt.timedelta(days=7)
    campaigns.extend_window(campaign, by=admin, closes_at=later, motivation="Prolongation")
    campaign.refresh_from_db()
    assert campaign.closes_at == later
    [event] = _events_since(n)
    assert event.action == "campaign_window_extended"
    assert event.data["payload"]["motivation"] == "Prolongation"


def test_open_campaign_envelope_only_moves_up():
    admin = make_user("admin")
    campaign = make_campaign(envelope=Decimal("1000.00"))
    with pytest.raises(AdminRefused, match="ne peut qu'être augmentée"):
        campaigns.top_up_envelope(campaign, by=admin, envelope=Decimal("999"), motivation="m")
    with pytest.raises(AdminRefused, match="motivation"):
        campaigns.top_up_envelope(campaign, by=admin, envelope=Decimal("2000"), motivation="")
    n = AuditEvent.objects.count()
    campaigns.top_up_envelope(campaign, by=admin, envelope=Decimal("2000"), motivation="Abondement")
    [event] = _events_since(n)
    assert event.data["payload"]["before"]["envelope"] == "1000.00"
    assert event.data["payload"]["after"]["envelope"] == "2000"


def test_only_an_administrator_changes_a_campaign():
    campaign = make_campaign()
    for role in ("auditeur", "instructeur", "comite", "finance", "porteur"):
        with pytest.raises(AdminRefused):
            campaigns.top_up_envelope(campaign, by=make_user(role), envelope=Decimal("9e6"), motivation="m")


def _clone_in_window(admin, source):
    """A clone whose dates already include now, its checklist incomplete (no committee member)."""
    now = clock.now()
    fields = _future_fields(source, opens_at=now - dt.timedelta(days=1))
    return campaigns.clone_campaign(source, by=admin, fields=fields, motivation="m")


def test_clone_does_not_open_by_its_dates_before_its_checklist_is_complete():
    admin = make_user("admin")
    source = make_campaign()
    _texts(source)
    clone = _clone_in_window(admin, source)
    assert source.ready_to_open and source.is_open()  # campaigns not cloned open by their dates
    assert not clone.ready_to_open and not clone.is_open() and not campaigns.is_open(clone)
    assert [c.label for c in campaigns.checklist(clone) if not c.ok] == ["Composition du comité"]
    with pytest.raises(AdminRefused, match="Il manque avant l'ouverture"):
        campaigns.open_window(clone, by=admin, motivation="m")
    make_user("comite")  # the checklist is now complete
    n = AuditEvent.objects.count()
    opened = campaigns.open_window(clone, by=admin, motivation="Ouverture")
    assert opened.ready_to_open and opened.is_open()
    [event] = _events_since(n)
    payload = event.data["payload"]
    assert (payload["before"]["ready_to_open"], payload["after"]["ready_to_open"]) == (False, True)


def test_mayor_cannot_start_a_dossier_in_a_clone_not_ready(client):
    admin = make_user("admin")
    source = make_campaign()
    clone = _clone_in_window(admin, source)
    mayor = make_user("porteur", commune=make_commune())
    client.force_login(mayor)
    home = client.get(reverse("depot:my-dossiers")).content.decode()
    assert reverse("depot:new", args=[source.pk]) in home
    assert reverse("depot:new", args=[clone.pk]) not in home
    response = client.get(reverse("depot:new", args=[clone.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("depot:my-dossiers")
    assert "n&#x27;est pas ouvert aux dépôts : sa préparation n&#x27;est pas terminée" in (
        response.content.decode()
    )
    assert not Dossier.objects.filter(campaign=clone).exists()


def test_e9_refuses_submission_in_a_clone_not_ready():
    admin = make_user("admin")
    clone = _clone_in_window(admin, make_campaign())
    dossier = make_dossier(campaign=clone)
    outcome = e9_submission_window(dossier, clone.rules, at=clock.now())
    assert outcome.result == "fail" and "sa préparation n'est pas terminée" in outcome.explanation


def test_open_window_at_planned_date_keeps_the_opening_date():
    admin = make_user("admin")
    make_user("comite")
    source = make_campaign()
    _texts(source)
    clone = campaigns.clone_campaign(source, by=admin, fields=_future_fields(source), motivation="m")
    planned = clone.opens_at
    opened = campaigns.open_window(clone, by=admin, motivation="m", at_planned_date=True)
    assert opened.ready_to_open and opened.opens_at == planned and not opened.is_open()
    assert opened.is_open(planned + dt.timedelta(minutes=1))


def test_open_window_at_planned_date_refused_once_the_date_passed():
    admin = make_user("admin")
    make_user("comite")
    source = make_campaign()
    _texts(source)
    clone = _clone_in_window(admin, source)
    with pytest.raises(AdminRefused, match="ouvrez les dépôts maintenant"):
        campaigns.open_window(clone, by=admin, motivation="m", at_planned_date=True)
    assert not type(clone).objects.get(pk=clone.pk).ready_to_open


def test_open_page_offers_the_planned_date_and_opens_on_it(client):
    admin = make_user("admin")
    make_user("comite")
    source = make_campaign()
    _texts(source)
    clone = campaigns.clone_campaign(source, by=admin, fields=_future_fields(source), motivation="m")
    client.force_login(admin)
    page = client.get(reverse("administration:campaign", args=[clone.pk])).content.decode()
    assert 'name="when" value="planned"' in page and "ils n'ouvriront qu'une fois" in page
    response = client.post(
        reverse("administration:open", args=[clone.pk]),
        {"motivation": "Ouverture à la date prévue", "confirm": "on", "when": "planned"},
        follow=True,
    )
    assert "Les dépôts ouvriront à la date prévue." in response.content.decode()
    clone.refresh_from_db()
    assert clone.ready_to_open and clone.opens_at > clock.now()
