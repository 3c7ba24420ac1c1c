"""The six steps of a dossier in the front office, and when each one counts as complete.

A step is complete when it holds what the règlement needs from it (not when the eligibility
rules pass: the check page judges that). ``first_incomplete`` gives the step a porteur lands on
when coming back to a draft. The functions read the dossier with its ``budget_lines`` and
``documents`` prefetched (``dossier_for_steps``): no query per step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fonds.instruction.amount import dossier_distance_km


@dataclass(frozen=True)
class Step:
    slug: str
    title: str
    short: str  # what the step asks for, under its title
    fields: tuple[str, ...]  # dossier fields it edits
    is_complete: Callable


def _project(d) -> bool:
    return bool(d.title and d.summary and d.objectives and d.start_date and d.end_date and d.activity_days)


def _partnership(d) -> bool:
    j = d.jumelage if d.jumelage_id else None
    return j is not None and bool(j.agreement_date or j.letter_of_intent)


def _participants(d) -> bool:
    return bool(d.youth_ages) and bool(d.leader_ages)


def _travel(d) -> bool:
    return bool(d.travel_mode) and dossier_distance_km(d)[0] is not None


def _budget(d) -> bool:
    lines = list(d.budget_lines.all())
    return (
        d.requested_amount is not None
        and any(line.kind == "expense" for line in lines)
        and any(line.kind == "income" for line in lines)
    )


def required_kinds(dossier) -> list[str]:
    return list(dossier.rules.params["eligibility"]["required_documents"])


def current_documents(dossier) -> dict[str, object]:
    """``{kind: current document}`` (the latest not replaced one of each kind)."""
    out = {}
    for doc in sorted(dossier.documents.all(), key=lambda d: (d.uploaded_at, d.pk)):
        if doc.replaced_by_id is None:
            out[doc.kind] = doc
    return out


def _documents(d) -> bool:
    present = current_documents(d)
    return all(kind in present for kind in required_kinds(d))


STEPS: tuple[Step, ...] = (
    Step(
        "projet",
        "Le projet",
        "Intitulé, résumé, objectifs, dates et jours d'activité",
        ("title", "summary", "objectives", "start_date", "end_date", "activity_days"),
        _project,
    ),
    Step(
        "partenariat",
        "Le partenariat",
        "Ville partenaire, pays, convention de jumelage ou lettre d'intention",
        ("jumelage",),
        _partnership,
    ),
    Step(
        "participants",
        "Les participants",
        "Âges des jeunes et des accompagnateurs, moins d'opportunités, premier voyage",
        ("youth_ages", "leader_ages", "youth_fewer_opportunities", "youth_first_travel"),
        _participants,
    ),
    Step(
        "voyage",
        "Le voyage",
        "Mode de transport, distance, nuitées",
        ("travel_mode", "low_carbon", "distance_km", "nights", "nights_hosted"),
        _travel,
    ),
    Step("budget", "Le budget", "Dépenses, recettes et montant demandé", ("requested_amount",), _budget),
    Step(
        "pieces",
        "Les pièces justificatives",
        "Délibération, convention ou lettre d'intention, engagement du partenaire, RIB",
        (),
        _documents,
    ),
)
BY_SLUG = {step.slug: step for step in STEPS}

#: the step where a failing eligibility rule is fixed (rules about the commune or the campaign have none)
RULE_STEPS = {"E2": "partenariat", "E3": "pieces", "E4": "participants", "E5": "projet", "E6": "budget"}

#: rule titles for the check page
RULE_TITLES = {
    "E1": "Commune de 3 500 habitants au plus",
    "E2": "Jumelage ou partenariat avec une collectivité étrangère",
    "E3": "Pièces justificatives",
    "E4": "Jeunes participants et accompagnateurs",
    "E5": "Durée et dates du projet",
    "E6": "Budget et montant demandé",
    "E7": "Un seul dossier en cours par commune",
    "E8": "Pas de rapport final en retard",
    "E9": "Dépôt pendant l'appel à projets",
}


def step_states(dossier) -> list[dict]:
    """Every step with its position and whether it is complete."""
    return [
        {"step": step, "number": i, "complete": step.is_complete(dossier)}
        for i, step in enumerate(STEPS, start=1)
    ]


def first_incomplete(dossier) -> Step | None:
    for step in STEPS:
        if not step.is_complete(dossier):
            return step
    return None


def next_step(slug: str) -> Step | None:
    index = [s.slug for s in STEPS].index(slug)
    return STEPS[index + 1] if index + 1 < len(STEPS) else None


def dossier_for_steps(queryset):
    """The queryset with what the step functions read, joined or prefetched."""
    return queryset.select_related("campaign", "commune", "jumelage__partner").prefetch_related(
        "budget_lines", "documents"
    )
