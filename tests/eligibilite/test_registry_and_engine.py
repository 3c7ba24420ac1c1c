"""The registry, evaluate_all, the numbers-as-data guarantee and the engine (stored / preview runs)."""

import datetime as dt
import json

from fonds.audit.models import AuditEvent
from fonds.dossiers.models import Dossier
from fonds.eligibilite.engine import run_checks
from fonds.eligibilite.models import EligibilityRun, Verdict
from fonds.eligibilite.rules import REGISTRY, evaluate_all
from fonds.referentiel.models import Campaign, Commune
from tests.factories import make_dossier

from .conftest import AT, PARIS, check, with_params

CODES = [f"E{i}" for i in range(1, 10)]


def test_registry_in_e1_to_e9_order():
    assert list(REGISTRY) == CODES


def test_eligible_dossier_passes_every_rule(dossier):
    outcomes = evaluate_all(dossier, dossier.campaign.rules, at=AT)
    assert [o.code for o in outcomes] == CODES
    assert {o.code: o.result for o in outcomes} == {c: "pass" for c in CODES}


def test_shared_factory_dossier_passes_every_rule_now(db):
    """The shared ``make_dossier()`` (dates relative to today) is eligible when checked now."""
    dossier = make_dossier()
    outcomes = evaluate_all(dossier, dossier.campaign.rules, at=dt.datetime.now(tz=PARIS))
    assert [o.code for o in outcomes if o.result != "pass"] == []


def test_outcomes_are_json_safe_and_in_french(dossier):
    Commune.objects.filter(pk=dossier.commune_id).update(population=9000)
    for outcome in evaluate_all(Dossier.objects.get(pk=dossier.pk), dossier.campaign.rules, at=AT):
        assert outcome.result in Verdict.Result.values
        json.dumps(outcome.data)  # no Decimal, date or datetime left
        assert outcome.explanation
        if outcome.result == "fail":
            assert outcome.how_to_fix


def test_changed_ruleset_parameter_changes_the_verdict(dossier):
    """Numbers are campaign data: lowering the population ceiling makes the same commune fail."""
    Commune.objects.filter(pk=dossier.commune_id).update(population=800)
    assert check("E1", dossier).result == "pass"
    stricter = with_params(dossier, max_population=500)
    outcome = check("E1", dossier, ruleset=stricter)
    assert outcome.result == "fail"
    assert outcome.data["max_population"] == 500


def test_changed_youth_per_leader_changes_e4(dossier):
    Dossier.objects.filter(pk=dossier.pk).update(youth_ages=[15] * 8, leader_ages=[40])
    assert check("E4", dossier).result == "pass"
    assert check("E4", dossier, ruleset=with_params(dossier, youth_per_leader=5)).result == "fail"


def test_changed_activity_days_and_lead_time_change_e5(dossier):
    assert check("E5", dossier).result == "pass"
    assert check("E5", dossier, ruleset=with_params(dossier, max_activity_days=5)).result == "fail"
    assert check("E5", dossier, ruleset=with_params(dossier, min_days_before_start=200)).result == "fail"


def test_engine_uses_latest_rule_version(dossier):
    with_params(dossier, max_population=100)
    fresh = Dossier.objects.get(pk=dossier.pk)
    run = run_checks(fresh, moment="preview", at=AT, store=False)
    assert run.rules_version == 2
    assert [v.code for v in run.failures()] == ["E1"]


def test_engine_preview_stores_nothing(dossier):
    Commune.objects.filter(pk=dossier.commune_id).update(population=5000)
    run = run_checks(Dossier.objects.get(pk=dossier.pk), moment="preview", at=AT, store=False)
    assert run.pk is None
    assert [v.code for v in run.preview_verdicts] == CODES
    assert [v.code for v in run.failures(blocking_only=True)] == ["E1"]
    assert EligibilityRun.objects.count() == 0


def test_engine_stores_run_verdicts_and_audit(dossier):
    Commune.objects.filter(pk=dossier.commune_id).update(population=5000)
    run = run_checks(Dossier.objects.get(pk=dossier.pk), moment="submission", at=AT)
    assert run.pk and run.rules_version == 1
    assert run.verdicts.count() == 9
    assert [v.code for v in run.failures(blocking_only=True)] == ["E1"]
    e1 = run.verdicts.get(code="E1")
    assert e1.data["population"] == 5000 and e1.blocking
    event = AuditEvent.objects.filter(action="eligibility_checked").get()
    assert event.data["payload"]["verdicts"]["E1"] == "fail"
    assert event.data["payload"]["rules_version"] == 1


def test_engine_advisory_rule_is_not_blocking(dossier):
    Commune.objects.filter(pk=dossier.commune_id).update(population=5000)
    ruleset = dossier.campaign.rules
    blocking = dict(ruleset.params["eligibility"]["blocking"], E1=False)
    with_params(dossier, blocking=blocking)
    run = run_checks(Dossier.objects.get(pk=dossier.pk), moment="on_demand", at=AT)
    assert [v.code for v in run.failures()] == ["E1"]
    assert run.failures(blocking_only=True) == []
    preview = run_checks(Dossier.objects.get(pk=dossier.pk), moment="preview", at=AT, store=False)
    assert [v.code for v in preview.failures()] == ["E1"]
    assert preview.failures(blocking_only=True) == []


def test_engine_rule_missing_from_the_blocking_list_blocks(dossier):
    """A rule is blocking unless the rule set says it is advisory: a code left out of
    ``blocking`` (or no ``blocking`` at all) blocks, in every kind of run."""
    from fonds.eligibilite.engine import run_checks_many

    Commune.objects.filter(pk=dossier.commune_id).update(population=5000)
    for blocking in ({"E2": True}, None):
        ruleset = with_params(dossier, blocking=blocking)
        if blocking is None:
            params = dict(
                ruleset.params,
                eligibility={k: v for k, v in ruleset.params["eligibility"].items() if k != "blocking"},
            )
            ruleset = ruleset.new_version(params, note="test")
        fresh = Dossier.objects.get(pk=dossier.pk)
        assert fresh.rules.version == ruleset.version
        stored = run_checks(fresh, moment="on_demand", at=AT)
        preview = run_checks(fresh, moment="preview", at=AT, store=False)
        many = run_checks_many([fresh], moment="on_demand", at=AT)[fresh.pk]
        for run in (stored, preview, EligibilityRun.objects.get(pk=many.pk)):
            assert [v.code for v in run.failures(blocking_only=True)] == ["E1"], (blocking, run.moment)


def test_query_count_is_small(dossier, django_assert_max_num_queries):
    fresh = (
        Dossier.objects.select_related("commune", "campaign", "jumelage__partner")
        .prefetch_related("documents", "budget_lines")
        .get(pk=dossier.pk)
    )
    ruleset = Campaign.objects.get(pk=dossier.campaign_id).rules
    with django_assert_max_num_queries(2):  # E7 and E8 only
        outcomes = evaluate_all(fresh, ruleset, at=AT)
    assert all(o.result == "pass" for o in outcomes)


def test_outcome_passed_and_failed_read_its_result():
    from fonds.eligibilite.rules import Outcome

    assert [(Outcome("E1", r, "x").passed, Outcome("E1", r, "x").failed) for r in Verdict.Result.values] == [
        (True, False),  # pass
        (False, True),  # fail
        (False, False),  # not_applicable
    ]


def test_stored_checks_tables_are_the_ones_the_models_declare(db):
    """Each check stores its code, result, explanation, the data it used and the rules version
    (règlement, « Eligibility »): as the models declare them, no change without its migration."""
    import io

    import pytest
    from django.core.management import call_command

    out = io.StringIO()
    try:
        call_command("makemigrations", "eligibilite", check=True, dry_run=True, stdout=out, verbosity=1)
    except SystemExit:
        pytest.fail(f"fonds/eligibilite/models.py differs from its migrations:\n{out.getvalue()}")


# ---- at submission: a blocking failure refuses it, with the rule codes --------------------------


def _submittable_now():
    """The shared factory's dossier: every rule passes when checked now (dates relative to today)."""
    dossier = make_dossier()
    Commune.objects.filter(pk=dossier.commune_id).update(population=5000)  # E1 fails
    return dossier


def test_submission_refused_by_a_blocking_failure_with_its_code_and_explanation(db):
    import pytest

    from fonds.dossiers.services import TransitionRefused, perform
    from fonds.dossiers.states import Status

    dossier = _submittable_now()
    with pytest.raises(TransitionRefused) as refused:
        perform(dossier, "submit", by=dossier.created_by)
    refusal = refused.value
    assert (refusal.kind, refusal.rules) == ("condition", ["E1"])
    assert refusal.message.startswith("Le dossier ne peut pas être déposé : E1 — ")
    assert "5\u00a0000" in refusal.message  # E1's explanation: the population found
    assert Dossier.objects.get(pk=dossier.pk).status == Status.DRAFT
    assert EligibilityRun.objects.count() == 0  # refused: the run is rolled back with it


def test_submission_goes_through_an_advisory_failure_and_records_who_checked(db):
    from fonds.dossiers.services import perform
    from fonds.dossiers.states import Status

    dossier = _submittable_now()
    blocking = dict(dossier.campaign.rules.params["eligibility"]["blocking"], E1=False)
    with_params(dossier, blocking=blocking)
    perform(dossier, "submit", by=dossier.created_by)
    dossier.refresh_from_db()
    assert dossier.status == Status.SUBMITTED and dossier.rules_version == 2
    run = dossier.eligibility_runs.get()
    assert (run.moment, run.rules_version, run.ran_by) == ("submission", 2, dossier.created_by)
    assert [v.code for v in run.failures()] == ["E1"] and run.failures(blocking_only=True) == []
