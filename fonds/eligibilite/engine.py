"""Run E1–E9 on a dossier, store the verdicts with the rules version, audit the run."""

from __future__ import annotations

from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone

from fonds import clock
from fonds.audit import chain as audit
from fonds.sql import insert_rows

from .models import EligibilityRun, Verdict
from .rules import chunk_context, evaluate_all


def _preview_failures(verdicts, blocking_only: bool = False):
    return [v for v in verdicts if v.result == Verdict.Result.FAIL and (v.blocking or not blocking_only)]


def _verdicts(outcomes, blocking_flags: dict, **run) -> list[Verdict]:
    return [
        Verdict(
            **run,
            code=o.code,
            result=o.result,
            blocking=blocking_flags.get(o.code, True),
            explanation=o.explanation,
            how_to_fix=o.how_to_fix,
            data=o.data,
        )
        for o in outcomes
    ]


def _aware(at):
    at = at or clock.now()
    return timezone.make_aware(at) if timezone.is_naive(at) else at


def _checked_event(run, outcomes, *, by, at) -> dict:
    """The audit event of one stored run (``audit.append`` keywords)."""
    return dict(
        action="eligibility_checked",
        actor=by,
        role="" if by is None else getattr(by, "main_role", ""),
        obj=run.dossier,
        payload={
            "run": run.pk,
            "moment": run.moment,
            "rules_version": run.rules_version,
            "verdicts": {o.code: o.result for o in outcomes},
        },
        at=at,
    )


def run_checks(dossier, *, moment: str, by=None, at=None, store: bool = True):
    """Evaluate every rule; store the run (and audit it) unless ``store`` is False (preview)."""
    at = _aware(at)
    ruleset = dossier.rules
    outcomes = evaluate_all(dossier, ruleset, at=at)
    blocking_flags = ruleset.params["eligibility"].get("blocking", {})
    fields = dict(
        dossier=dossier,
        moment=moment,
        rules_version=ruleset.version,
        ran_at=at,
        ran_by=by if getattr(by, "is_authenticated", False) else None,
    )
    if not store:
        run = EligibilityRun(**fields)
        run.preview_verdicts = _verdicts(outcomes, blocking_flags)
        # an unsaved run has no related verdicts: answer failures() from the preview list
        run.failures = lambda blocking_only=False: _preview_failures(run.preview_verdicts, blocking_only)
        return run
    with transaction.atomic():
        run = EligibilityRun.objects.create(**fields)
        Verdict.objects.bulk_create(_verdicts(outcomes, blocking_flags, run=run))
        audit.append(**_checked_event(run, outcomes, by=by, at=at))
    return run


def run_checks_many(dossiers, *, moment: str, by=None, at=None) -> dict:
    """``run_checks(dossier, moment=…, by=…)`` for many dossiers: the same runs, verdicts and audit
    events, the data the rules read prefetched once (``rules.chunk_context`` for E7 and E8), runs
    and verdicts written with multi-row INSERTs (``fonds.sql``), events with one
    ``append_many``. Inside the caller's transaction. Returns ``{dossier pk: run}``."""

    dossiers = list(dossiers)
    if not dossiers:
        return {}
    at = _aware(at)
    prefetch_related_objects(dossiers, "jumelage__partner", "documents", "budget_lines")
    context = chunk_context(dossiers, at=at)
    ran_by = by if getattr(by, "is_authenticated", False) else None
    runs, verdicts, outcomes_of = [], [], {}
    for dossier in dossiers:
        ruleset = dossier.rules
        outcomes_of[dossier.pk] = (ruleset, evaluate_all(dossier, ruleset, at=at, context=context))
        runs.append(
            EligibilityRun(
                dossier=dossier, moment=moment, rules_version=ruleset.version, ran_at=at, ran_by=ran_by
            )
        )

    with transaction.atomic():
        run_fields = ["dossier", "moment", "rules_version", "ran_at", "ran_by"]
        ids = insert_rows(
            EligibilityRun,
            run_fields,
            [(r.dossier_id, r.moment, r.rules_version, r.ran_at, r.ran_by_id) for r in runs],
            returning=True,
        )
        for run, pk in zip(runs, ids):
            run.pk = pk
            run._state.adding = False
        entries = []
        for run in runs:
            ruleset, outcomes = outcomes_of[run.dossier_id]
            blocking_flags = ruleset.params["eligibility"].get("blocking", {})
            verdicts.extend(
                (
                    run.pk,
                    o.code,
                    o.result,
                    blocking_flags.get(o.code, True),
                    o.explanation,
                    o.how_to_fix,
                    o.data,
                )
                for o in outcomes
            )
            entries.append(_checked_event(run, outcomes, by=by, at=at))
        insert_rows(
            Verdict, ["run", "code", "result", "blocking", "explanation", "how_to_fix", "data"], verdicts
        )
        audit.append_many(entries)
    return {run.dossier_id: run for run in runs}
