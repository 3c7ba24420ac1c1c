"""The instruction's conditions on dossier transitions, preparers at ``order=10`` (before the
dossier's own; installed by ``InstructionConfig.ready``): an instructor with a declared link
with the commune is refused; ``complete_instruction`` needs settled eligibility, a full grid, an
opinion the grid allows and an amount within bounds. Details: docs/stages.md (Instruction hooks)."""

from __future__ import annotations

from fonds.accounts.roles import Role, has_role
from fonds.conversation import services as conversation
from fonds.dossiers import services as dossier_services
from fonds.dossiers.services import TransitionRefused
from fonds.formats import euros

from . import grid
from . import services as instruction
from .amount import award_bounds, award_refusal, grant_for_dossier, parse_amount


def _completion(dossier, by, data) -> dict:
    """Check the conditions of ``complete_instruction``; complete ``data`` for the core preparer
    (the proposed amount) and return the extra kwargs for the audit payload."""
    problems, rules = [], []
    view = instruction.eligibility_view(dossier)
    if view.run is None:
        problems.append("aucun contrôle d'éligibilité n'est enregistré : lancez le contrôle")
        rules.append("eligibility")
    for row in view.unsettled:
        problems.append(
            f"la règle {row.verdict.code} n'est pas respectée et n'a pas fait l'objet d'une dérogation "
            "motivée"
        )
        rules.append(row.verdict.code)
    automatic = instruction.ensure_automatic_scores(dossier, by)
    result = instruction.grid_for(dossier)
    if result.missing:
        labels = [r.criterion.label for r in result.results if not r.scored]
        problems.append("critère(s) non noté(s) : " + ", ".join(f"« {label} »" for label in labels))
        rules.append("scoring")
    opinion = data.get("opinion") or ""
    motivation = (data.pop("opinion_motivation", "") or data.pop("motivation", "") or "").strip()
    if opinion not in (grid.FAVOURABLE, grid.UNFAVOURABLE):
        problems.append("indiquez l'avis : favorable ou défavorable")
        rules.append("opinion")
    elif not result.missing:
        refusal = grid.opinion_refusal(opinion, result)
        if refusal:  # no motivation lifts it
            problems.append(refusal)
            rules.append("opinion")
        elif not grid.opinion_consistent(opinion, result) and not motivation:
            suggested, given = (
                grid.OPINION_LABELS[result.suggestion].lower(),
                grid.OPINION_LABELS[opinion].lower(),
            )
            problems.append(
                f"la grille conduit à un avis {suggested} ({result.total} points) : motivez l'avis {given}"
            )
            rules.append("opinion")
    breakdown = grant_for_dossier(dossier)
    bounds = award_bounds(breakdown)
    proposal = None
    if data.get("proposed_amount") is not None:
        amount = parse_amount(data["proposed_amount"])
    else:
        proposal = instruction.current_proposal(dossier)
        amount = proposal.amount if proposal is not None else breakdown.grant
    refusal = award_refusal(amount, bounds, zero_allowed=opinion != grid.FAVOURABLE)
    if refusal:
        origin = "le montant proposé" if proposal is None else "la proposition de montant enregistrée"
        problems.append(f"{origin} ({euros(amount)}) : {refusal[0].lower()}{refusal[1:].rstrip('.')}")
        rules.append("amount")
    if problems:
        raise TransitionRefused(
            "condition",
            "L'instruction ne peut pas être terminée : " + " ; ".join(problems) + ".",
            rules=rules,
        )
    extra = {
        "grid": result.as_dict(),
        "eligibility_run": view.run.pk,
        "overrides": {row.verdict.code: row.override.pk for row in view.rows if row.override is not None},
        "amount_bounds": bounds.as_dict(),
    }
    if motivation:
        extra["opinion_motivation"] = motivation
    if automatic:
        extra["automatic_scores"] = automatic
    if data.get("proposed_amount") is None:
        extra["amount_proposal"] = None if proposal is None else proposal.pk
    data["proposed_amount"] = amount
    return extra


def _conflict_guard(dossier, by, data):
    if by is not None:
        instruction.check_no_conflict(by, dossier)
    return {}


def _message_guard(by, dossier):
    """An instructor with a declared link with the commune does not write to it either."""
    if has_role(by, Role.INSTRUCTEUR):
        instruction.check_no_conflict(by, dossier)


def _completion_guard(dossier, by, data):
    return _completion(dossier, by, data)


def register() -> None:
    """Register the guards in front of the core preparers (idempotent)."""
    for name in instruction.CONFLICT_GUARDED:
        dossier_services.preparer(name, order=10)(_conflict_guard)
    dossier_services.preparer("complete_instruction", order=20)(_completion_guard)
    conversation.add_guard(_message_guard)
