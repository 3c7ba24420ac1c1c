"""The scoring grid of a dossier: the points stored, the automatic criteria computed, the
instructor's scores recorded (audited) and the assessment kept up to date."""

from __future__ import annotations

from django.db import transaction

from fonds import clock
from fonds.dossiers.services import TransitionRefused

from . import grid
from .guards import (
    INSTRUCTING,
    audit_dossier,
    lock_dossier,
)
from .models import (
    Assessment,
    Score,
)

# ---- the grid --------------------------------------------------------------------------------


def stored_points(dossier) -> dict[str, int]:
    return dict(Score.objects.filter(dossier=dossier).values_list("criterion", "points"))


def grid_for(dossier, params: dict | None = None) -> grid.GridResult:
    params = params or dossier.rules.params
    return grid.evaluate(stored_points(dossier), params)


def _automatic_scores(locked, by, ruleset) -> dict:
    """(Re)compute and store every automatic criterion; returns ``{code: {points, comment}}`` changed."""
    changed = {}
    crit = grid.criterion(ruleset.params, grid.TERRITORIAL)
    if crit is None or not crit.automatic:
        return changed
    points, text = grid.territorial_points(
        locked.commune.population, locked.commune.is_overseas, ruleset.params
    )
    score = Score.objects.filter(dossier=locked, criterion=crit.code).first()
    if (
        score is None
        or score.points != points
        or score.comment != text
        or score.rules_version != ruleset.version
    ):
        Score.objects.update_or_create(
            dossier=locked,
            criterion=crit.code,
            defaults={
                "points": points,
                "comment": text,
                "automatic": True,
                "rules_version": ruleset.version,
                "by": by,
                "at": clock.now(),
            },
        )
        changed[crit.code] = {
            "points": points,
            "comment": text,
            "previous": None if score is None else score.points,
            "automatic": True,
        }
    return changed


def _refresh_assessment(locked, params) -> grid.GridResult:
    result = grid_for(locked, params)
    Assessment.objects.update_or_create(
        dossier=locked,
        defaults={
            "score_total": result.total if any(r.scored for r in result.results) else None,
            "scored_criteria": sum(1 for r in result.results if r.scored),
            "complete": result.complete,
            "suggestion": result.suggestion or "",
        },
    )
    return result


def record_scores(dossier, *, by, scores: dict) -> grid.GridResult:
    """Record the instructor's points and comments (``{code: (points, comment)}``; a criterion
    left out keeps its current value), recompute the automatic ones; one audit event."""
    with transaction.atomic():
        locked = lock_dossier(dossier, by, statuses=INSTRUCTING, action="La notation")
        ruleset = locked.rules
        crits = {c.code: c for c in grid.criteria(ruleset.params)}
        errors, clean = [], {}
        for code, entry in (scores or {}).items():
            crit = crits.get(code)
            if crit is None:
                errors.append(f"Critère inconnu : « {code} ».")
                continue
            if crit.automatic:
                errors.append(f"« {crit.label} » est calculé automatiquement.")
                continue
            points, comment = entry
            problem = grid.validate_points(crit, points)
            comment = (comment or "").strip()
            if problem:
                errors.append(problem)
            elif not comment:
                errors.append(f"« {crit.label} » : un commentaire justifie la note.")
            elif len(comment) > 4000:
                errors.append(f"« {crit.label} » : 4 000 caractères au plus pour le commentaire.")
            else:
                clean[code] = (points, comment)
        if errors:
            raise TransitionRefused("condition", " ".join(errors))
        existing = {s.criterion: s for s in Score.objects.filter(dossier=locked)}
        changed = _automatic_scores(locked, by, ruleset)
        now = clock.now()
        for code, (points, comment) in clean.items():
            previous = existing.get(code)
            if previous is not None and previous.points == points and previous.comment == comment:
                continue
            Score.objects.update_or_create(
                dossier=locked,
                criterion=code,
                defaults={
                    "points": points,
                    "comment": comment,
                    "automatic": False,
                    "rules_version": ruleset.version,
                    "by": by,
                    "at": now,
                },
            )
            changed[code] = {
                "points": points,
                "comment": comment,
                "previous": None if previous is None else previous.points,
            }
        result = _refresh_assessment(locked, ruleset.params)
        if changed:
            audit_dossier(
                "scores_recorded",
                locked,
                by,
                {
                    "scores": changed,
                    "grid": result.as_dict(),
                    "rules_version": ruleset.version,
                },
            )
    return result


def ensure_automatic_scores(locked, by) -> dict:
    """Inside a caller's transaction (the complete_instruction preparer): store missing or stale
    automatic scores; returns what changed (written to the caller's audit payload)."""
    ruleset = locked.rules
    changed = _automatic_scores(locked, by, ruleset)
    if changed:
        _refresh_assessment(locked, ruleset.params)
    return changed
