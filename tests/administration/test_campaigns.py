"""Campaigns: clone an earlier one (window, envelope, committee dates, activity period, rules and
grid, committee composition, document texts), a checklist before the window opens, and once
open only forward changes (extension, top-up), each with a motivation and one audit event."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from fonds import clock
from fonds.administration import campaigns, parameters, versions
from fonds.administration.guards import AdminRefused
from fonds.administration.models import DocumentTexts
from fonds.audit.models import AuditEvent
from fonds.comite.models import CommitteeMember
from tests.factories import make_campaign, make_user

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
