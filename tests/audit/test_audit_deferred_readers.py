"""Readers of the trail in deferred mode: what was just committed is seen, pending or chained."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from fonds import clock
from fonds.audit import chain, sequencer
from fonds.audit.models import PendingEvent
from fonds.audit.queries import latest_position, pending_for, recorded_since
from fonds.reporting.history import history_context
from tests.factories import make_campaign, make_dossier

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def dossier():
    return make_dossier(campaign=make_campaign())


def append(action: str, obj, **payload) -> None:
    with transaction.atomic():
        chain.append(action, obj=obj, payload=payload)


def test_inline_mode_has_no_pending_events_and_reads_as_before(dossier):
    append("note", dossier, n=1)
    assert pending_for(dossier) == []
    assert latest_position(dossier) == str(chain.verify().count)


def test_latest_position_moves_with_each_new_event_pending_or_chained(dossier, settings):
    settings.FJJ_AUDIT_SEQUENCING = "deferred"
    append("note", dossier, n=1)
    first = latest_position(dossier)
    assert first == f"p{PendingEvent.objects.get().pk}"
    sequencer.sequence_all()
    chained = latest_position(dossier)
    assert chained.isdigit() and chained != first
    append("note", dossier, n=2)
    assert latest_position(dossier) not in (first, chained)


def test_latest_position_while_several_events_wait_is_the_last_one(dossier, settings):
    settings.FJJ_AUDIT_SEQUENCING = "deferred"
    append("note", dossier, n=1)
    append("note", dossier, n=2)
    assert latest_position(dossier) == f"p{PendingEvent.objects.order_by('id').last().pk}"


def test_recorded_since_sees_a_pending_event(dossier, settings):
    settings.FJJ_AUDIT_SEQUENCING = "deferred"
    since = clock.now() - dt.timedelta(minutes=1)
    assert not recorded_since("login_locked_out", dossier, since)
    append("login_locked_out", dossier)
    assert recorded_since("login_locked_out", dossier, since)
    sequencer.sequence_all()
    assert recorded_since("login_locked_out", dossier, since)


def test_history_lists_pending_events_as_being_chained_and_anchors_on_the_last_chained(dossier, settings):
    settings.FJJ_AUDIT_SEQUENCING = "deferred"
    before = len(history_context(dossier)["events"])
    append("note", dossier, n=1)
    sequencer.sequence_all()
    append("note", dossier, n=2)
    context = history_context(dossier)
    events = context["events"][before:]
    assert [e.get("pending", False) for e in events] == [False, True]
    assert events[1]["seq"] is None and events[1]["hash"] == ""
    assert context["last"] is events[0] and context["last"]["seq"] == context["head_seq"]
    sequencer.sequence_all()
    again = history_context(dossier)["events"][before:]
    assert [e.get("pending", False) for e in again] == [False, False]


def test_history_shows_an_event_chained_meanwhile_once(dossier, settings, monkeypatch):
    settings.FJJ_AUDIT_SEQUENCING = "deferred"
    before = len(history_context(dossier)["events"])
    append("note", dossier, n=1)
    import fonds.reporting.history as history

    read = history.pending_for

    def read_then_chain(obj):  # the sequencer commits between the two reads
        found = read(obj)
        sequencer.sequence_all()
        return found

    monkeypatch.setattr(history, "pending_for", read_then_chain)
    events = history_context(dossier)["events"][before:]
    assert len(events) == 1 and events[0]["seq"] is not None


def test_latest_position_of_an_object_without_events_is_0(dossier):
    assert latest_position(("dossiers.dossier", dossier.pk + 1000)) == "0"


def test_inline_mode_readers_add_no_query_for_pending_events(dossier, settings, django_assert_num_queries):
    """Inline mode however it is spelt in the settings (read from the environment: a string built at
    run time): ``pending_for`` makes no query."""
    settings.FJJ_AUDIT_SEQUENCING = "".join(["in", "line"])
    with django_assert_num_queries(0):
        assert pending_for(dossier) == []
    with django_assert_num_queries(1):  # the chained events only
        assert not recorded_since("note", dossier, clock.now())
