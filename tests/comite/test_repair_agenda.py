"""Règlement, "Committee": a dossier is in committee only on the agenda of a session that is not
closed. ``python manage.py repair_committee_agenda [--dry-run]`` puts every dossier left « en comité »
without such an agenda item back to « instruit », through the system's ``unschedule`` (audited)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from fonds.audit.models import AuditEvent
from fonds.comite import convocation
from fonds.comite.agenda import orphans
from fonds.comite.models import Session
from fonds.dossiers.models import Dossier
from fonds.dossiers.states import Status

from .conftest import instructed_dossier, new_session

pytestmark = pytest.mark.django_db


def _orphan(campaign) -> Dossier:
    d = instructed_dossier(campaign)
    Dossier.objects.filter(pk=d.pk).update(
        status=Status.IN_COMMITTEE
    )  # legacy data: « en comité » with no session
    return d


def test_repair_committee_agenda_puts_orphans_back_to_instructed(committee):
    c = committee
    lost = _orphan(c.campaign)
    on_agenda = instructed_dossier(c.campaign)
    session = new_session(c)
    convocation.build_agenda(session, by=c.admin)
    closed_session_item = _orphan(c.campaign)  # its only item belongs to a closed session
    stale = new_session(c, days=20)
    stale.items.create(dossier=closed_session_item, rank=1)
    Session.objects.filter(pk=stale.pk).update(status=Session.Status.CLOSED)
    assert {d.pk for d in orphans()} == {lost.pk, closed_session_item.pk}
    out = io.StringIO()
    call_command("repair_committee_agenda", stdout=out)
    for d in (lost, closed_session_item):
        d.refresh_from_db()
        assert d.status == Status.INSTRUCTED
        event = AuditEvent.objects.get(action="unschedule", object_id=str(d.pk))
        assert event.actor_id is None and event.data["payload"]["forum"] == "system"
        assert "Réparation" in event.data["payload"]["motivation"]
        assert d.reference in out.getvalue()
    on_agenda.refresh_from_db()
    assert on_agenda.status == Status.IN_COMMITTEE  # on a live agenda: untouched
    run = AuditEvent.objects.get(action="comite_agenda_repaired")
    assert sorted(run.data["payload"]["repaired"]) == sorted([lost.reference, closed_session_item.reference])
    assert not orphans().exists()
    out = io.StringIO()
    call_command("repair_committee_agenda", stdout=out)  # nothing left: nothing done, nothing audited
    assert (
        "rien à réparer" in out.getvalue()
        and AuditEvent.objects.filter(action="comite_agenda_repaired").count() == 1
    )


def test_repair_committee_agenda_dry_run_changes_nothing(committee):
    lost = _orphan(committee.campaign)
    before = AuditEvent.objects.count()
    out = io.StringIO()
    call_command("repair_committee_agenda", "--dry-run", stdout=out)
    assert lost.reference in out.getvalue() and "simulation" in out.getvalue()
    lost.refresh_from_db()
    assert lost.status == Status.IN_COMMITTEE and AuditEvent.objects.count() == before
