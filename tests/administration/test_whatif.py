"""What-if: a draft version's thresholds replayed on a campaign's dossiers, checked against a
campaign computed by hand; nothing is changed; the job runs through the outbox with progress."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fonds import clock
from fonds.administration import parameters, whatif
from fonds.administration.guards import AdminRefused
from fonds.administration.models import WhatIfJob
from fonds.audit.models import AuditEvent
from fonds.dossiers.models import Dossier
from fonds.dossiers.states import Status
from fonds.eligibilite.models import EligibilityRun
from tests.factories import make_campaign, make_commune, make_dossier, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    """Three submitted complete dossiers (8 youth + 2 leaders, 850 km declared, low carbon,
    8 nights of which 4 hosted, 6,000 € requested, 10,000 € eligible) of communes of 800, 4,000
    and 6,000 inhabitants, plus a draft (not replayed). Under the defaults (E1 ≤ 3,500) only the
    first is eligible; its formula: T = 10 × 417 = 4,170, S = 4 × 10 × 25 = 1,000, O = 500 →
    5,670 € (below the 6,000 requested, 8,000 = 80 % of eligible, 15,000 cap)."""
    campaign = make_campaign(envelope=Decimal("100000.00"))
    for population in (800, 4000, 6000):
        dossier = make_dossier(campaign=campaign, commune=make_commune(population=population))
        Dossier.objects.filter(pk=dossier.pk).update(status=Status.SUBMITTED, submitted_at=clock.now())
    make_dossier(campaign=campaign, commune=make_commune(population=100))
    return campaign


def _draft(campaign):
    # E1 raised to 5,000 (the 4,000 commune flips to pass), E4 minimum 8 youth (8: no flip),
    # organisation 500 → 800 (every amount + 300 €: 5,970 €, still below the 6,000 requested)
    return parameters.apply(
        campaign.rules.params,
        {"eligibility__max_population": 5000, "eligibility__min_youth": 8, "amount__organisation": 800},
    )


def test_whatif_hand_computed_campaign(campaign, django_assert_max_num_queries):
    draft = _draft(campaign)
    with django_assert_max_num_queries(6):  # per chunk, not per dossier (3 here)
        result = whatif.replay(campaign, draft)
    assert result["total"] == 3
    assert result["flips"]["E1"] == {"to_fail": 0, "to_pass": 1}
    assert {code: n for code, n in result["flipped_total"].items() if n} == {"E1": 1}
    assert result["eligible"] == {"base": 1, "draft": 2}
    assert result["consumed"] == {"base": "5670", "draft": "11940"}
    assert result["consumed_pct"] == {"base": "5.7", "draft": "11.9"}
    assert result["changed_count"] == 3
    assert sorted(tuple(row["amount"]) for row in result["changed"]) == [("5670", "5970")] * 3
    flipped = [row for row in result["changed"] if row["flipped"]]
    assert [(row["flipped"], row["eligible"]) for row in flipped] == [(["E1"], [False, True])]


def test_whatif_changes_nothing(campaign):
    rules = campaign.rulesets.count()
    events, runs = AuditEvent.objects.count(), EligibilityRun.objects.count()
    whatif.replay(campaign, _draft(campaign))
    assert (campaign.rulesets.count(), AuditEvent.objects.count(), EligibilityRun.objects.count()) == (
        rules,
        events,
        runs,
    )


def test_whatif_job_runs_through_the_outbox_with_progress(campaign, django_capture_on_commit_callbacks):
    admin = make_user("admin")
    with django_capture_on_commit_callbacks(execute=True):  # sent on commit, run eagerly in tests
        job = whatif.start(campaign, _draft(campaign), by=admin)
    assert job.status == WhatIfJob.State.QUEUED
    job.refresh_from_db()
    assert job.status == WhatIfJob.State.FINISHED
    assert (job.total, job.done, job.percent) == (3, 3, 100)
    assert job.result["flips"]["E1"]["to_pass"] == 1
    assert whatif.run_job(job.pk).result == job.result  # idempotent


def test_whatif_only_for_an_administrator(campaign):
    with pytest.raises(AdminRefused):
        whatif.start(campaign, _draft(campaign), by=make_user("auditeur"))


def test_whatif_reuses_an_outcome_only_when_every_value_read_is_the_same():
    params = {"eligibility": {"max_population": 3500, "blocking": {"E1": True}}, "amount": {"cap": "15000"}}
    log: list = []
    view = whatif.Reads(params, log)
    assert view["eligibility"]["max_population"] == 3500
    assert view["eligibility"].get("min_youth") is None  # a missing key is a read too
    assert whatif.same_reads(log, {**params, "amount": {"cap": "1"}})
    assert not whatif.same_reads(log, {**params, "eligibility": {"max_population": 5000}})
    assert not whatif.same_reads(log, {**params, "eligibility": {"max_population": 3500, "min_youth": 8}})
