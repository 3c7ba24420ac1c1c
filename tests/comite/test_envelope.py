"""The envelope never overspends; beyond it the waiting list, promoted in ranking order."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection, transaction

from fonds import clock
from fonds.audit.models import AuditEvent
from fonds.comite import envelope
from fonds.comite.models import EnvelopeRelease, PromotionProposal
from fonds.dossiers.models import Dossier
from fonds.dossiers.services import TransitionRefused, perform
from fonds.dossiers.states import Forum, Status
from fonds.referentiel.models import Campaign
from fonds.suivi.testing import travel_after_project
from tests.factories import make_campaign, make_user

from .conftest import decide, in_committee


@pytest.fixture
def small(db):
    campaign = make_campaign(envelope=Decimal("10000.00"))
    return campaign, make_user("comite"), make_user("admin")


def test_envelope_at_the_boundary_exact_fit_approved_next_waitlisted(small):
    campaign, member, _ = small
    a, b, c = (in_committee(campaign, score=90 - i) for i in range(3))
    assert decide(a, member, "5000.00") == "approve"
    assert decide(b, member, "5000.00") == "approve"  # exactly what is left
    assert envelope.left(campaign) == Decimal("0.00")
    assert decide(c, member, "1000.00") == "waitlist"  # the smallest award does not fit: waiting list
    c.refresh_from_db()
    assert c.status == Status.WAITLISTED and c.approved_amount is None
    assert envelope.committed(campaign) == Decimal("10000.00")


def test_one_cent_over_the_envelope_goes_to_the_waiting_list(small):
    campaign, member, _ = small
    d = in_committee(campaign)
    assert decide(d, member, "10000.01") == "waitlist"
    assert envelope.left(campaign) == Decimal("10000.00")


def test_direct_approve_beyond_the_envelope_is_refused(small):
    campaign, member, _ = small
    a = in_committee(campaign, proposed="8000.00")
    b = in_committee(campaign, proposed="3000.00")
    perform(a, "approve", by=member, forum=Forum.COMMITTEE_SITTING, data={"item": a.item.pk})
    with pytest.raises(TransitionRefused) as exc:
        perform(b, "approve", by=member, forum=Forum.COMMITTEE_SITTING, data={"item": b.item.pk})
    assert exc.value.rules == ["envelope"] and "il reste 2\u00a0000\u00a0€" in exc.value.message
    b.refresh_from_db()
    assert b.status == Status.IN_COMMITTEE


def test_waiting_list_in_ranking_order(small):
    campaign, member, _ = small
    filler = in_committee(campaign)
    decide(filler, member, "10000.00")
    low = in_committee(campaign, score=60, population=100)
    big = in_committee(campaign, score=80, population=3000)
    small_town = in_committee(campaign, score=80, population=400)
    for d in (low, big, small_town):
        assert decide(d, member, "1000.00") == "waitlist"
    assert [d.pk for d in envelope.waiting_list(campaign)] == [small_town.pk, big.pk, low.pk]


def test_lapse_promotes_the_first_waitlisted_that_fits(small, django_capture_on_commit_callbacks):
    campaign, member, admin = small
    a = in_committee(campaign, score=90)
    decide(a, member, "6000.00")
    second = in_committee(
        campaign, score=70, proposed="6000.00"
    )  # its waitlisted amount: the proposal (no decided amount here)
    first = in_committee(campaign, score=80)
    decide(second, member, "6000.00")
    decide(first, member, "5000.00")
    with django_capture_on_commit_callbacks(execute=True):
        perform(
            a, "lapse", by=None, motivation="Convention non acceptée dans les 30 jours.", forum=Forum.SYSTEM
        )
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Status.APPROVED and first.approved_amount == Decimal("5000.00")
    assert second.status == Status.WAITLISTED  # 5,000 € left after the first: the second (6,000 €) waits
    record = PromotionProposal.objects.get()
    assert record.dossier == first and record.trigger == "lapse" and record.resolved_at is not None
    promote = AuditEvent.objects.get(action="promote", object_id=str(first.pk))
    assert promote.data["payload"]["forum"] == "waiting_list" and promote.data["actor"]["role"] == "system"
    assert promote.seq > AuditEvent.objects.get(action="lapse").seq  # the cause comes first in the trail
    recipients = sorted(m.to[0] for m in mail.outbox if "liste complémentaire" in m.subject.lower())
    assert admin.email in recipients and any(r != admin.email for r in recipients)  # the mayor too


def test_promotion_strictly_in_ranking_order_takes_the_next_that_fits(small):
    campaign, member, _ = small
    filler = in_committee(campaign, score=99)
    decide(filler, member, "10000.00")
    big = in_committee(campaign, score=90, proposed="4000.00")
    fits = in_committee(campaign, score=80, proposed="2000.00")
    lower = in_committee(campaign, score=70, proposed="1000.00")
    for d, amount in ((big, "4000.00"), (fits, "2000.00"), (lower, "1000.00")):
        assert decide(d, member, amount) == "waitlist"
    Campaign.objects.filter(pk=campaign.pk).update(envelope=Decimal("12500.00"))  # 2,500 € free
    with transaction.atomic():
        promoted = envelope.promote_waiting_list(campaign, trigger="test")
    assert promoted == [fits]  # the first that fits: not the third, though it fits too
    for d, status in ((big, Status.WAITLISTED), (fits, Status.APPROVED), (lower, Status.WAITLISTED)):
        d.refresh_from_db()
        assert d.status == status


def test_nobody_promotes_by_hand_from_the_dossier_nor_beyond_what_is_left(small):
    campaign, member, admin = small
    a = in_committee(campaign)
    decide(a, member, "9000.00")
    w = in_committee(campaign)
    decide(w, member, "2000.00")
    with pytest.raises(TransitionRefused) as exc:
        perform(w, "promote", by=admin)
    assert exc.value.kind == "forum" and exc.value.code == "forum_waiting_list"
    with pytest.raises(TransitionRefused) as exc:
        perform(w, "promote", by=admin, forum=Forum.WAITING_LIST)
    assert exc.value.kind == "role"
    with pytest.raises(TransitionRefused) as exc:
        perform(w, "promote", by=None, forum=Forum.WAITING_LIST)
    assert exc.value.rules == ["envelope"]
    assert envelope.promote_waiting_list(campaign, trigger="test") == []


def test_recovery_returns_money_to_the_envelope_and_promotes(small, clock):
    campaign, member, admin = small
    finance = make_user("finance")
    a = in_committee(campaign)
    decide(a, member, "10000.00")
    w = in_committee(
        campaign, proposed="1500.00"
    )  # without a decided amount, the waitlisted amount is the proposal
    decide(w, member, "1500.00")
    Dossier.objects.filter(pk=a.pk).update(
        status=Status.REPORT_SUBMITTED
    )  # test setup: convention, advance, report elsewhere
    travel_after_project(clock, a)  # a balance comes after the trip
    perform(a, "settle", by=finance, data={"balance": "-2000.00"}, forum=Forum.PAYMENTS)
    assert envelope.left(campaign) == Decimal("0.00")  # not yet recovered
    perform(a, "recover", by=finance, forum=Forum.PAYMENTS)
    assert EnvelopeRelease.objects.get(dossier=a).confirmed_at is not None
    w.refresh_from_db()
    assert w.status == Status.APPROVED
    assert envelope.left(campaign) == Decimal("500.00")
    assert PromotionProposal.objects.get().dossier == w


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_approvals_never_overspend_the_envelope():
    campaign = make_campaign(envelope=Decimal("10500.00"))
    member = make_user("comite")
    dossiers = [
        in_committee(campaign, score=99 - i, population=500 + i, proposed="1000.00") for i in range(50)
    ]
    barrier = threading.Barrier(50)
    results, errors = {}, []

    def approve(d):
        try:
            barrier.wait(timeout=30)
            results[d.pk] = envelope.approve_or_waitlist(
                d.pk, by=member, amount=Decimal("1000.00"), data={"item": d.item.pk}
            )
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(d,)) for d in dossiers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    approved = list(Dossier.objects.filter(campaign=campaign, status=Status.APPROVED))
    waitlisted = envelope.waiting_list(campaign)
    total = sum((d.approved_amount for d in approved), Decimal("0"))
    assert total <= campaign.envelope
    assert len(approved) == 10 and total == Decimal("10000.00")
    assert len(waitlisted) == 40 and len(approved) + len(waitlisted) == 50
    ranking = [d.pk for d in dossiers]  # score 99, 98, … : the ranking order
    assert [d.pk for d in waitlisted] == [pk for pk in ranking if pk in {w.pk for w in waitlisted}]
    assert sorted(v for v in results.values()) == ["approve"] * 10 + ["waitlist"] * 40


def test_committed_is_one_query_approved_minus_confirmed_recoveries(small, django_assert_num_queries):
    campaign, member, admin = small
    a, b = in_committee(campaign), in_committee(campaign)
    decide(a, member, "4000.00")
    decide(b, member, "2500.50")
    EnvelopeRelease.objects.create(
        campaign=campaign, dossier=a, amount=Decimal("1000.00")
    )  # not confirmed: still committed
    with django_assert_num_queries(1):
        assert envelope.committed(campaign) == Decimal("6500.50")
    EnvelopeRelease.objects.filter(dossier=a).update(confirmed_at=clock.now())
    with django_assert_num_queries(1):
        assert envelope.left(campaign) == Decimal("10000.00") - Decimal("5500.50")
    assert envelope.committed(make_campaign()) == Decimal("0.00")  # nothing approved, nothing released


def test_committed_index_predicate_lists_exactly_the_committed_statuses():
    """Migration comite.0003's partial index serves ``committed`` only if its predicate is the
    same status list: a status added to COMMITTED_STATUSES needs a new migration."""
    from importlib import import_module

    migration = import_module("fonds.comite.migrations.0003_envelope_committed_index")
    assert set(migration.STATUSES) == {str(s) for s in envelope.COMMITTED_STATUSES}


@pytest.mark.postgres
def test_committed_sum_reads_the_partial_index_on_postgresql(small):
    campaign, _, _ = small
    statuses = ", ".join(f"'{s}'" for s in envelope.COMMITTED_STATUSES)
    with connection.cursor() as cursor:
        cursor.execute(
            "SET LOCAL enable_seqscan = off"
        )  # a few test rows: make the planner show which index it would use
        cursor.execute(
            f"EXPLAIN SELECT SUM(approved_amount) FROM dossiers_dossier WHERE campaign_id = {campaign.pk} "
            f"AND status IN ({statuses})"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "comite_envelope_committed" in plan
