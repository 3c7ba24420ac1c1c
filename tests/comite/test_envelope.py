"""The envelope never overspends; beyond it the waiting list, promoted in ranking order."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection, transaction

from fonds import clock
from fonds.audit.models import AuditEvent
from fonds.comite import envelope
from fonds.comite.models import AgendaItem, EnvelopeRelease, PromotionProposal, Session
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


def test_direct_approve_of_a_decided_amount_beyond_the_envelope_is_refused(small):
    campaign, member, _ = small
    a = in_committee(campaign)
    decide(a, member, "9000.00")
    b = in_committee(campaign, proposed="1000.00")
    data = {"item": b.item.pk, "amount": "1000.01"}
    with pytest.raises(TransitionRefused) as exc:
        perform(b, "approve", by=member, forum=Forum.COMMITTEE_SITTING, data=data)
    assert exc.value.rules == ["envelope"] and "il reste 1\u00a0000\u00a0€" in exc.value.message
    b.refresh_from_db()
    assert b.status == Status.IN_COMMITTEE


def test_direct_approve_of_an_amount_that_is_no_number_is_refused_as_invalid(small):
    campaign, member, _ = small
    d = in_committee(campaign)
    for amount in ("beaucoup", "NaN"):
        data = {"item": d.item.pk, "amount": amount}
        with pytest.raises(TransitionRefused) as exc:
            perform(d, "approve", by=member, forum=Forum.COMMITTEE_SITTING, data=data)
        assert exc.value.kind == "condition" and "invalide" in exc.value.message, amount
    d.refresh_from_db()
    assert d.status == Status.IN_COMMITTEE


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


def test_committed_counts_every_cent(small):
    campaign, member, _ = small
    a, b = in_committee(campaign), in_committee(campaign)
    decide(a, member, "2500.55")
    decide(b, member, "4000.00")
    assert envelope.committed(campaign) == Decimal("6500.55")
    assert envelope.left(campaign.pk) == Decimal("3499.45")  # by id too (the services pass either)


def test_waitlisted_amount_is_the_committee_decision_else_the_proposal(small):
    campaign, member, _ = small
    decide(in_committee(campaign), member, "10000.00")
    w = in_committee(campaign, proposed="5000.00")
    assert decide(w, member, "5000.00") == "waitlist"
    assert envelope.waitlisted_amount(w) == Decimal("5000.00")  # nothing decided on record: the proposal
    AgendaItem.objects.filter(pk=w.item.pk).update(
        outcome=AgendaItem.Outcome.WAITLISTED, decided_amount=Decimal("2000.00"), decided_at=clock.now()
    )  # the committee's record of its decision (fonds.comite.decisions)
    assert envelope.waitlisted_amount(w) == Decimal("2000.00")


def test_promotion_without_an_amount_takes_the_committee_decision_not_the_proposal(small):
    campaign, member, _ = small
    decide(in_committee(campaign, score=99), member, "8000.00")
    w = in_committee(campaign, proposed="5000.00")
    assert decide(w, member, "5000.00") == "waitlist"
    AgendaItem.objects.filter(pk=w.item.pk).update(
        outcome=AgendaItem.Outcome.WAITLISTED, decided_amount=Decimal("2000.00"), decided_at=clock.now()
    )
    perform(
        w, "promote", by=None, forum=Forum.WAITING_LIST
    )  # 2,000 € left: the decision fits, not the proposal
    w.refresh_from_db()
    assert w.status == Status.APPROVED and w.approved_amount == Decimal("2000.00")
    assert envelope.left(campaign) == Decimal("0.00")


def test_promotion_takes_a_waitlisted_dossier_that_fits_exactly(small):
    campaign, member, _ = small
    decide(in_committee(campaign, score=99), member, "10000.00")
    w = in_committee(campaign, proposed="2500.00")
    assert decide(w, member, "2500.00") == "waitlist"
    Campaign.objects.filter(pk=campaign.pk).update(envelope=Decimal("12500.00"))  # 2,500 € free
    assert envelope.promote_waiting_list(campaign, trigger="test") == [w]
    assert envelope.left(campaign.pk) == Decimal("0.00")


def test_waitlisted_dossier_that_does_not_fit_is_passed_over_not_recorded_as_refused(small):
    """Only a promotion another rule refuses is written in the trail as refused; a dossier whose
    amount is beyond what is left simply waits (before the first promotion, or after it)."""
    campaign, member, _ = small
    decide(in_committee(campaign, score=99), member, "10000.00")
    big = in_committee(campaign, score=90, proposed="4000.00")
    fits = in_committee(campaign, score=80, proposed="2000.00")
    then_too_big = in_committee(campaign, score=70, proposed="2000.00")
    for d in (big, fits, then_too_big):
        assert decide(d, member, str(d.proposed_amount)) == "waitlist"
    Campaign.objects.filter(pk=campaign.pk).update(envelope=Decimal("12500.00"))  # 2,500 € free
    assert envelope.promote_waiting_list(campaign, trigger="test") == [fits]
    assert not AuditEvent.objects.filter(action="comite_promotion_refused").exists()
    assert [p.dossier for p in PromotionProposal.objects.all()] == [fits]


def test_promotion_refused_by_another_rule_is_recorded_and_the_next_one_promoted(small):
    campaign, member, _ = small
    decide(in_committee(campaign, score=99), member, "10000.00")
    legacy = in_committee(campaign, score=90)
    fits = in_committee(campaign, score=80, proposed="3000.00")
    for d in (legacy, fits):
        assert decide(d, member, str(d.proposed_amount)) == "waitlist"
    AgendaItem.objects.filter(pk=legacy.item.pk).update(
        outcome=AgendaItem.Outcome.WAITLISTED, decided_amount=Decimal("20000.00"), decided_at=clock.now()
    )  # waitlisted before the award bounds were enforced: beyond the fund's cap
    Campaign.objects.filter(pk=campaign.pk).update(envelope=Decimal("40000.00"))
    assert envelope.promote_waiting_list(campaign, trigger="test") == [fits]
    legacy.refresh_from_db()
    assert legacy.status == Status.WAITLISTED
    refusal = AuditEvent.objects.get(action="comite_promotion_refused")
    assert refusal.object_id == str(legacy.pk) and refusal.data["payload"]["rules"] == ["amount"]


def test_approve_or_waitlist_of_an_unknown_dossier_is_refused(small):
    campaign, member, _ = small
    d = in_committee(campaign)
    with pytest.raises(TransitionRefused) as exc:
        envelope.approve_or_waitlist(d.pk + 1000, by=member, amount=Decimal("1000.00"))
    assert exc.value.kind == "not_found"
    assert envelope.approve_or_waitlist(
        d.pk, by=member, amount=Decimal("1000.00"), data={"item": d.item.pk}
    ) == ("approve")


def _settle(campaign, member, finance, clock, *, approved: str, balance: str):
    d = in_committee(campaign)
    decide(d, member, approved)
    Dossier.objects.filter(pk=d.pk).update(
        status=Status.REPORT_SUBMITTED
    )  # test setup: convention, advance, report elsewhere
    travel_after_project(clock, d)
    perform(d, "settle", by=finance, data={"balance": balance}, forum=Forum.PAYMENTS)
    d.refresh_from_db()
    return d


def test_balance_paid_or_nil_returns_nothing_to_the_envelope(small, clock):
    campaign, member, _ = small
    finance = make_user("finance")
    for balance in ("0.00", "350.00"):
        d = _settle(campaign, member, finance, clock, approved="4000.00", balance=balance)
        assert d.status == Status.CLOSED, balance
    assert not EnvelopeRelease.objects.exists()
    assert envelope.left(campaign) == Decimal("2000.00")


def test_balance_owed_back_returns_to_the_envelope_once_recovered_to_the_cent(small, clock):
    campaign, member, _ = small
    finance = make_user("finance")
    d = _settle(campaign, member, finance, clock, approved="10000.00", balance="-0.50")
    assert d.status == Status.RECOVERY_PENDING
    assert EnvelopeRelease.objects.get(dossier=d).amount == Decimal("0.50")
    assert envelope.left(campaign) == Decimal("0.00")  # not yet recovered
    perform(d, "recover", by=finance, forum=Forum.PAYMENTS)
    assert envelope.left(campaign) == Decimal("0.50")
    recover = AuditEvent.objects.get(action="recover", object_id=str(d.pk))
    assert Decimal(recover.data["payload"]["data"]["envelope_released"]) == Decimal("0.50")


def test_overview_per_campaign_with_sessions_envelope_and_ranked_waiting_list(small):
    """The committee's page: per campaign with sessions, what is committed and left and the waiting
    list in ranking order, each with the amount the committee decided last (else the proposal)
    and its open promotion proposal."""
    campaign, member, _ = small
    make_campaign()  # no committee session: not shown
    decide(in_committee(campaign, score=99), member, "9000.00")
    first = in_committee(campaign, score=90, proposed="3000.00")
    second = in_committee(campaign, score=80, proposed="4000.00")
    for d in (first, second):
        assert decide(d, member, str(d.proposed_amount)) == "waitlist"
    now = clock.now()
    AgendaItem.objects.filter(pk=first.item.pk).update(
        outcome=AgendaItem.Outcome.WAITLISTED, decided_amount=Decimal("2500.00"), decided_at=now
    )
    later = Session.objects.create(
        campaign=campaign, starts_at=now, chair=member, created_by=member, place="Salle du conseil"
    )
    AgendaItem.objects.create(
        session=later,
        dossier=first,
        rank=99,
        outcome=AgendaItem.Outcome.WAITLISTED,
        decided_amount=Decimal("2000.00"),
        decided_at=now + dt.timedelta(hours=1),
    )  # decided again later: the later decision stands
    AgendaItem.objects.filter(pk=second.item.pk).update(outcome=AgendaItem.Outcome.WAITLISTED)  # no amount
    PromotionProposal.objects.create(
        campaign=campaign, dossier=first, amount=1, available=1, trigger="test", resolved_at=now
    )
    proposal = PromotionProposal.objects.create(
        campaign=campaign, dossier=second, amount=1, available=1, trigger="test"
    )
    [view] = envelope.overview()
    assert (view.campaign, view.committed, view.left) == (campaign, Decimal("9000.00"), Decimal("1000.00"))
    assert [(r.dossier, r.amount, r.proposal) for r in view.waiting] == [
        (first, Decimal("2000.00"), None),
        (second, Decimal("4000.00"), proposal),
    ]


def test_overview_shows_the_ten_newest_campaigns(db):
    chair = make_user("comite")
    campaigns = [make_campaign() for _ in range(11)]
    for c in campaigns:
        Session.objects.create(
            campaign=c, starts_at=clock.now(), chair=chair, created_by=chair, place="Salle"
        )
    assert [v.campaign for v in envelope.overview()] == campaigns[:0:-1]
    assert [v.campaign for v in envelope.overview(limit=2)] == campaigns[:8:-1]
