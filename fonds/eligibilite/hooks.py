"""Eligibility on the dossier's transitions: E1–E9 run (and are stored) at ``submit`` and at
``start_instruction``. Registered from ``EligibiliteConfig.ready()``; a blocking failure refuses
the submission with the rule codes."""

from __future__ import annotations

from fonds.dossiers import services
from fonds.dossiers.services import TransitionRefused

from .engine import run_checks, run_checks_many


def prepare_submit(dossier, by, data):
    run = run_checks(dossier, moment="submission", by=by)
    blocking = run.failures(blocking_only=True)
    if blocking:
        raise TransitionRefused(
            "condition",
            "Le dossier ne peut pas être déposé : "
            + " ; ".join(f"{v.code} — {v.explanation}" for v in blocking),
            rules=[v.code for v in blocking],
        )
    return {"rules_version": run.rules_version, "eligibility_run": run.pk}


def _prepare_start_instruction(dossier, by, data):
    run = run_checks(dossier, moment="start_instruction", by=by)
    return {"eligibility_run": run.pk}


def _prepare_start_instruction_many(dossiers, by, datas):
    runs = run_checks_many(dossiers, moment="start_instruction", by=by)
    return {d.pk: {"eligibility_run": runs[d.pk].pk} for d in dossiers}


def register() -> None:
    services.preparer("submit")(prepare_submit)
    services.preparer("start_instruction", many=_prepare_start_instruction_many)(_prepare_start_instruction)
