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
from fonds.eligibilite.engine import run_checks
from fonds.eligibilite.models import EligibilityRun
from fonds.eligibilite.rules import chunk_context, evaluate_all
from fonds.instruction.amount import grant_for_dossier
from fonds.referentiel.models import Campaign, RuleSet
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


@pytest.fixture
def varied_campaign():
    """Submitted dossiers that fail different rules, the budget lines and documents the what-if
    loads as rows included: E1 (4,000 inhabitants: passes the draft's 5,000), E4 (6 youth: fail
    the draft's minimum of 8), E3 (a piece missing; a piece replaced), E6 (own share 5 % and an
    ineligible expense; no budget at all), E7 (two dossiers of one commune); plus a draft."""
    campaign = make_campaign(envelope=Decimal("50000.00"))
    dossiers = [make_dossier(campaign=campaign, commune=make_commune(population=800))]
    dossiers.append(make_dossier(campaign=campaign, commune=make_commune(population=4000)))
    dossiers.append(make_dossier(campaign=campaign, youth_ages=[14, 15, 15, 16, 17, 17], leader_ages=[35]))
    missing = make_dossier(campaign=campaign)
    missing.documents.filter(kind="rib").delete()
    replaced = make_dossier(campaign=campaign)
    rib = replaced.documents.get(kind="rib")
    replaced.documents.filter(kind="deliberation").update(replaced_by=rib)
    budget = make_dossier(campaign=campaign)
    budget.budget_lines.filter(category="own_share").update(amount=Decimal("500"))
    budget.budget_lines.filter(category="food").update(eligible=False)
    no_budget = make_dossier(campaign=campaign)
    no_budget.budget_lines.all().delete()
    twice = make_commune(population=1200)
    dossiers += [missing, replaced, budget, no_budget]
    dossiers += [make_dossier(campaign=campaign, commune=twice) for _ in range(2)]
    Dossier.objects.filter(pk__in=[d.pk for d in dossiers]).update(
        status=Status.SUBMITTED, submitted_at=clock.now(), rules_version=campaign.rules.version
    )
    make_dossier(campaign=campaign)  # a draft: not replayed
    return campaign


def test_whatif_rules_read_the_loaded_rows_as_they_read_the_models(varied_campaign):
    """The rows the what-if loads (named tuples for budget lines and documents) give every rule
    and the formula exactly the outcome of a dossier read through the ORM, explanations included."""
    at = clock.now()
    draft = RuleSet(campaign=varied_campaign, version=0, params=_draft(varied_campaign))
    loaded = whatif._load(whatif.dossiers_of(varied_campaign))
    context = chunk_context(loaded, at=at)
    assert len(loaded) == 9
    for dossier in loaded:
        fresh = Dossier.objects.get(pk=dossier.pk)
        for ruleset in (varied_campaign.rules, draft):
            assert evaluate_all(dossier, ruleset, at=at, context=context) == evaluate_all(
                fresh, ruleset, at=at
            )
            assert grant_for_dossier(dossier, ruleset.params, explain=False) == grant_for_dossier(
                fresh, ruleset.params, explain=False
            )


def _real_run(campaign, at) -> dict:
    """``{pk: (verdicts, eligible, grant)}`` of the real engine on the submitted dossiers."""
    out = {}
    for dossier in Dossier.objects.filter(campaign=campaign, submitted_at__isnull=False):
        run = run_checks(dossier, moment="whatif-test", at=at, store=False)
        verdicts = {v.code: v.result for v in run.preview_verdicts}
        out[dossier.pk] = (verdicts, not run.failures(blocking_only=True), grant_for_dossier(dossier).grant)
    return out


def test_whatif_predicts_what_the_real_run_gives_once_the_version_is_published(varied_campaign):
    """The replay's flips, eligibility, amounts and consumption equal those of the real engine
    (``run_checks``, ``grant_for_dossier``) run before, then after publishing the draft and moving
    the dossiers to it."""
    at = clock.now()
    params = _draft(varied_campaign)
    result = whatif.replay(varied_campaign, params, at=at, chunk=4)  # chunks of 4: 3 of them
    before = _real_run(varied_campaign, at)
    new = varied_campaign.rules.new_version(params)
    Dossier.objects.filter(campaign=varied_campaign).update(rules_version=new.version)
    after = _real_run(Campaign.objects.get(pk=varied_campaign.pk), at)

    flips = {code: {"to_fail": 0, "to_pass": 0} for code in result["flips"]}
    changed = {}
    for pk, (old, was, old_grant) in before.items():
        new_verdicts, will, new_grant = after[pk]
        flipped = [code for code in old if old[code] != new_verdicts[code]]
        for code in flipped:
            flips[code]["to_fail" if new_verdicts[code] == "fail" else "to_pass"] += 1
        if flipped or was != will or old_grant != new_grant:
            changed[pk] = (flipped, [was, will], [str(old_grant), str(new_grant)])
    assert {code: n for code, n in result["flipped_total"].items() if n} == {"E1": 1, "E4": 1}
    assert result["flips"] == flips
    assert result["eligible"] == {
        "base": sum(was for _, was, _ in before.values()),
        "draft": sum(will for _, will, _ in after.values()),
    }
    assert result["consumed"] == {
        "base": str(sum(grant for _, was, grant in before.values() if was)),
        "draft": str(sum(grant for _, will, grant in after.values() if will)),
    }
    rows = {row["id"]: (row["flipped"], row["eligible"], row["amount"]) for row in result["changed"]}
    assert rows == changed
    # organisation + 300 €: every amount changes but that of the dossier without a budget (0 €)
    assert result["changed_count"] == len(changed) == 8
    failing = {code: sum(old[code] == "fail" for old, _, _ in before.values()) for code in flips}
    assert {code: n for code, n in failing.items() if n} == {"E1": 1, "E3": 2, "E6": 2, "E7": 2}


def test_whatif_compares_each_dossier_with_the_version_it_follows(campaign):
    """A dossier kept on an older version (KEEP at publication) is compared with that version, not
    with the campaign's current one: its « before » is the verdict it really has."""
    v1 = campaign.rules
    campaign.rules.new_version(
        parameters.apply(v1.params, {"eligibility__max_population": 4500}), note="E1 relevé"
    )
    campaign = Campaign.objects.get(pk=campaign.pk)  # the current version is now v2
    four_thousand = Dossier.objects.get(campaign=campaign, commune__population=4000)
    Dossier.objects.filter(campaign=campaign, submitted_at__isnull=False).exclude(pk=four_thousand.pk).update(
        rules_version=campaign.rules.version
    )
    Dossier.objects.filter(pk=four_thousand.pk).update(rules_version=v1.version)  # kept on v1

    result = whatif.replay(campaign, _draft(campaign))  # draft: E1 ≤ 5,000

    assert result["base_version"] == v1.version + 1
    assert result["base_versions"] == {str(v1.version): 1, str(v1.version + 1): 2}
    # under v1 (its own version) the 4,000 commune fails E1; under v2 it would already pass
    assert result["flips"]["E1"] == {"to_fail": 0, "to_pass": 1}
    assert result["eligible"] == {"base": 1, "draft": 2}
