"""The instruction's view of eligibility: the latest stored run with its overrides, a failed rule
set aside (motivated, audited), E1–E9 run again on demand."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from fonds.dossiers.services import TransitionRefused
from fonds.eligibilite.engine import run_checks
from fonds.eligibilite.models import EligibilityRun, Verdict

from .guards import (
    INSTRUCTING,
    S,
    audit_dossier,
    lock_dossier,
    required_text,
)
from .models import (
    EligibilityOverride,
)

# ---- eligibility: latest run, overrides ----------------------------------------------------


@dataclass
class VerdictRow:
    verdict: Verdict
    override: EligibilityOverride | None

    @property
    def failed(self) -> bool:
        return self.verdict.result == Verdict.Result.FAIL

    @property
    def settled(self) -> bool:
        """Pass, not applicable, or failed but overridden."""
        return not self.failed or self.override is not None


@dataclass
class EligibilityView:
    run: EligibilityRun | None
    rows: list[VerdictRow]

    @property
    def unsettled(self) -> list[VerdictRow]:
        return [r for r in self.rows if not r.settled]

    @property
    def all_settled(self) -> bool:
        return self.run is not None and not self.unsettled


def latest_run(dossier) -> EligibilityRun | None:
    return EligibilityRun.objects.filter(dossier=dossier).order_by("-ran_at", "-id").first()


def eligibility_view(dossier) -> EligibilityView:
    """The latest stored run's verdicts, each with the override that applies to it (if any).

    An override applies to the verdict it was made on, and to a failed verdict of the same rule in
    a later run when the data the rule used are unchanged. Two queries.
    """
    run = latest_run(dossier)
    if run is None:
        return EligibilityView(None, [])
    verdicts = list(run.verdicts.all())
    overrides = list(
        EligibilityOverride.objects.filter(dossier=dossier).select_related("by").order_by("-at", "-id")
    )
    rows = []
    for v in verdicts:
        found = None
        if v.result == Verdict.Result.FAIL:
            found = next((o for o in overrides if o.verdict_id == v.pk), None) or next(
                (o for o in overrides if o.code == v.code and o.data == v.data), None
            )
        rows.append(VerdictRow(v, found))
    return EligibilityView(run, rows)


def override_verdict(dossier, verdict_id, *, by, motivation: str) -> EligibilityOverride:
    """Set aside a failed verdict of the latest run, with a written motivation (audited)."""
    motivation = required_text(motivation, "La motivation de la dérogation")
    with transaction.atomic():
        locked = lock_dossier(
            dossier, by, statuses=INSTRUCTING, action="La dérogation à une règle d'éligibilité"
        )
        view = eligibility_view(locked)
        row = next((r for r in view.rows if str(r.verdict.pk) == str(verdict_id)), None)
        if row is None:
            raise TransitionRefused(
                "condition",
                "Ce verdict n'appartient pas au dernier contrôle d'éligibilité du dossier : rechargez la "
                "page.",
            )
        if not row.failed:
            raise TransitionRefused(
                "condition", f"La règle {row.verdict.code} est respectée : il n'y a rien à écarter."
            )
        if row.override is not None:
            raise TransitionRefused(
                "condition", f"La règle {row.verdict.code} a déjà fait l'objet d'une dérogation."
            )
        override = EligibilityOverride.objects.create(
            dossier=locked,
            verdict=row.verdict,
            code=row.verdict.code,
            data=row.verdict.data,
            motivation=motivation,
            rules_version=view.run.rules_version,
            by=by,
        )
        audit_dossier(
            "eligibility_overridden",
            locked,
            by,
            {
                "override": override.pk,
                "run": view.run.pk,
                "verdict": row.verdict.pk,
                "code": row.verdict.code,
                "explanation": row.verdict.explanation,
                "motivation": motivation,
                "rules_version": view.run.rules_version,
            },
        )
    return override


def recheck_eligibility(dossier, *, by) -> EligibilityRun:
    """Run E1–E9 again on demand (stored, audited by the engine)."""

    with transaction.atomic():
        locked = lock_dossier(
            dossier,
            by,
            statuses={S.SUBMITTED, S.IN_INSTRUCTION, S.CORRECTIONS_REQUESTED},
            action="Le contrôle d'éligibilité",
        )
        return run_checks(locked, moment=EligibilityRun.Moment.ON_DEMAND, by=by)
