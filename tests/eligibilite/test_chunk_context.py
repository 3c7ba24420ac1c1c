"""E7 and E8 for a chunk of dossiers (``chunk_context``, used by ``run_checks_many``): the rows
fetched once for the chunk give exactly the verdicts of the rules' own per-dossier queries."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fonds.dossiers.models import Dossier
from fonds.dossiers.states import Status
from fonds.eligibilite.engine import run_checks, run_checks_many
from fonds.eligibilite.models import EligibilityRun
from fonds.eligibilite.rules import REGISTRY, chunk_context, evaluate_all
from tests.factories import make_campaign, make_commune, make_dossier

from .conftest import AT, check, eligible_dossier, fixed_campaign, set_status


def _extra(campaign, commune, status, id=None, **fields):
    """A dossier outside the chunk (setup: status and fields set by a queryset update)."""
    extra = {} if id is None else {"id": id}
    return set_status(
        make_dossier(campaign=campaign, commune=commune, complete=False, **extra), status, **fields
    )


@pytest.fixture
def mixed_chunk(db):
    """Submitted dossiers of two campaigns, with every case E7 and E8 distinguish:

    * commune A twice in the chunk (campaign C): each blocks the other; A's draft and withdrawn
      dossiers in C do not count; A's live dossier in C2 is not C's business;
    * commune B: an overdue report in an earlier campaign (two, in reverse id order of their
      dates), one due today (not late), one overdue in C itself (E7's business, not E8's);
    * commune D in C2: its live dossier in C does not block in C2, its overdue report in C does;
    * commune E: eleven other live dossiers in C (E7 names ten), the chunk's one the oldest;
    * commune F: nothing at all.
    """
    c, c2, earlier = fixed_campaign(), fixed_campaign(), make_campaign(year=2029)
    a, b, d, e, f = (make_commune() for _ in range(5))
    chunk = [eligible_dossier(c, commune=a)]
    chunk += [eligible_dossier(c, commune=e)]  # the oldest of commune E's dossiers
    chunk += [
        eligible_dossier(c, commune=a),
        eligible_dossier(c, commune=b),
        eligible_dossier(c2, commune=d),
        eligible_dossier(c, commune=f),
    ]
    for dossier in chunk:
        set_status(dossier, Status.SUBMITTED, submitted_at=AT - dt.timedelta(days=3))
    _extra(c, a, Status.DRAFT)
    _extra(c, a, Status.WITHDRAWN)
    _extra(c2, a, Status.IN_INSTRUCTION)
    _extra(earlier, b, Status.ADVANCE_PAID, report_due=dt.date(2030, 2, 1))
    _extra(earlier, b, Status.ADVANCE_PAID, report_due=dt.date(2029, 12, 1))
    _extra(earlier, b, Status.ADVANCE_PAID, report_due=AT.date())
    _extra(c, b, Status.ADVANCE_PAID, report_due=dt.date(2029, 11, 1))
    _extra(c, d, Status.ADVANCE_PAID, report_due=dt.date(2030, 1, 10))
    for _ in range(11):
        _extra(c, e, Status.SUBMITTED)
    return chunk


def _fresh(chunk):
    return [Dossier.objects.select_related("commune", "campaign").get(pk=d.pk) for d in chunk]


def test_e7_e8_from_the_chunk_context_give_the_per_dossier_verdicts(mixed_chunk):
    dossiers = _fresh(mixed_chunk)
    context = chunk_context(dossiers, at=AT)
    for dossier in dossiers:
        for code in ("E7", "E8"):
            batched = REGISTRY[code](dossier, dossier.campaign.rules, at=AT, context=context)
            assert batched == check(code, dossier), (code, dossier.commune_id)
    # the fixture does exercise each case (not only passes)
    e7 = {d.pk: REGISTRY["E7"](d, d.campaign.rules, at=AT, context=context) for d in dossiers}
    e8 = {d.pk: REGISTRY["E8"](d, d.campaign.rules, at=AT, context=context) for d in dossiers}
    a1, e_first, a2, b, d, f = mixed_chunk
    assert [o["reference"] for o in e7[a1.pk].data["other_live_dossiers"]] == [a2.reference]
    assert [o["reference"] for o in e7[a2.pk].data["other_live_dossiers"]] == [a1.reference]
    assert len(e7[e_first.pk].data["other_live_dossiers"]) == 10
    assert e7[b.pk].result == "fail" and e7[d.pk].result == "pass" and e7[f.pk].result == "pass"
    assert [o["report_due"] for o in e8[b.pk].data["overdue_reports"]] == ["2029-12-01", "2030-02-01"]
    assert e8[d.pk].result == "fail" and e8[a1.pk].result == "pass" and e8[f.pk].result == "pass"


def test_chunk_context_two_queries_then_none_per_dossier(mixed_chunk, django_assert_num_queries):
    dossiers = _fresh(mixed_chunk)
    for dossier in dossiers:
        dossier.campaign.rules  # noqa: B018 — the rule set, read once per campaign object
    with django_assert_num_queries(2):
        context = chunk_context(dossiers, at=AT)
    with CaptureQueriesContext(connection) as queries:
        for dossier in dossiers:
            REGISTRY["E7"](dossier, dossier.campaign.rules, at=AT, context=context)
            REGISTRY["E8"](dossier, dossier.campaign.rules, at=AT, context=context)
    assert len(queries) == 0


def test_chunk_context_of_another_day_or_dossier_is_not_used(mixed_chunk, django_assert_num_queries):
    a1, _, _, b, _, _ = _fresh(mixed_chunk)
    context = chunk_context([a1], at=AT)
    later = AT + dt.timedelta(days=60)  # B's report due "today" is late by then
    expected = check("E7", b), check("E8", b), check("E8", a1, at=later)
    b.campaign.rules, a1.campaign.rules  # noqa: B018 — read before counting
    with django_assert_num_queries(2):  # B not covered: E7 and E8 query for it
        got_b = (
            REGISTRY["E7"](b, b.campaign.rules, at=AT, context=context),
            REGISTRY["E8"](b, b.campaign.rules, at=AT, context=context),
        )
    with django_assert_num_queries(1):  # covered commune, other date: E8 queries
        got_a1 = REGISTRY["E8"](a1, a1.campaign.rules, at=later, context=context)
    assert (*got_b, got_a1) == expected
    assert expected[0].result == "fail" and expected[1].result == "fail"


def test_chunk_context_of_a_later_day_is_not_used_for_an_earlier_one(mixed_chunk, django_assert_num_queries):
    """E8 re-checked at an earlier date than the chunk's: B's report due on AT is late 60 days
    later, not on AT itself; the rule queries for its own date."""
    b = _fresh(mixed_chunk)[3]
    later = AT + dt.timedelta(days=60)
    context = chunk_context([b], at=later)
    expected = check("E8", b)
    b.campaign.rules  # noqa: B018 — read before counting
    with django_assert_num_queries(1):
        got = REGISTRY["E8"](b, b.campaign.rules, at=AT, context=context)
    assert got == expected
    assert [o["report_due"] for o in got.data["overdue_reports"]] == ["2029-12-01", "2030-02-01"]


def test_run_checks_many_stores_the_verdicts_run_checks_gives_on_a_mixed_chunk(mixed_chunk):
    dossiers = _fresh(mixed_chunk)
    runs = run_checks_many(dossiers, moment="start_instruction", at=AT)
    assert set(runs) == {d.pk for d in mixed_chunk}
    for dossier in mixed_chunk:
        run = EligibilityRun.objects.get(pk=runs[dossier.pk].pk)
        expected = run_checks(
            Dossier.objects.get(pk=dossier.pk), moment="start_instruction", at=AT, store=False
        )
        stored = [
            (v.code, v.result, v.blocking, v.explanation, v.how_to_fix, v.data)
            for v in run.verdicts.order_by("code")
        ]
        assert stored == [
            (v.code, v.result, v.blocking, v.explanation, v.how_to_fix, v.data)
            for v in expected.preview_verdicts
        ]


def test_evaluate_all_with_and_without_context_agree(mixed_chunk):
    dossiers = _fresh(mixed_chunk)
    context = chunk_context(dossiers, at=AT)
    for dossier in dossiers:
        assert evaluate_all(dossier, dossier.campaign.rules, at=AT, context=context) == evaluate_all(
            dossier, dossier.campaign.rules, at=AT
        )


def test_run_checks_many_records_who_ran_the_checks(mixed_chunk):
    """As ``run_checks``: the instructor who opened the dossiers is stored with each run (none
    for the system)."""
    from fonds.audit.models import AuditEvent
    from tests.factories import make_user

    instructor = make_user("instructeur")
    runs = run_checks_many(_fresh(mixed_chunk[:2]), moment="start_instruction", by=instructor, at=AT)
    assert {EligibilityRun.objects.get(pk=run.pk).ran_by for run in runs.values()} == {instructor}
    events = AuditEvent.objects.filter(action="eligibility_checked")
    assert {(e.actor_id, e.actor_role) for e in events} == {(instructor.pk, "instructeur")}
    system = run_checks_many(_fresh(mixed_chunk[2:3]), moment="start_instruction", at=AT)
    assert [EligibilityRun.objects.get(pk=run.pk).ran_by for run in system.values()] == [None]


def test_run_checks_many_returns_the_stored_runs_as_run_checks_does(mixed_chunk):
    """The runs returned are the stored ones (as ``run_checks``'s): validating one does not take it
    for a new run duplicating its own id."""
    dossiers = _fresh(mixed_chunk[:2])
    single = run_checks(dossiers[0], moment="on_demand", at=AT)
    single.full_clean()
    for run in run_checks_many(dossiers, moment="on_demand", at=AT).values():
        run.full_clean()
        assert run == EligibilityRun.objects.get(pk=run.pk)


def test_chunk_context_leaves_out_the_dossier_itself_and_its_campaign_whatever_their_ids(db):
    """Ids are compared by value: past 256 (the integers Python keeps one copy of) a dossier read
    twice has two ids, equal but not the same object. E7 still leaves the dossier itself out, E8
    its own campaign."""
    campaign, commune = fixed_campaign(id=1000), make_commune()
    dossier = set_status(
        eligible_dossier(campaign, commune=commune, id=5000), Status.SUBMITTED, submitted_at=AT
    )
    other = _extra(campaign, commune, Status.ADVANCE_PAID, id=5001, report_due=dt.date(2029, 12, 1))
    fresh = _fresh([dossier])
    context = chunk_context(fresh, at=AT)
    e7 = REGISTRY["E7"](fresh[0], campaign.rules, at=AT, context=context)
    e8 = REGISTRY["E8"](fresh[0], campaign.rules, at=AT, context=context)
    assert (e7, e8) == (check("E7", dossier), check("E8", dossier))
    assert e7.data["other_live_dossiers"] == [{"reference": other.reference, "status": "advance_paid"}]
    assert e8.result == "pass"  # the same campaign's report is E7's business
