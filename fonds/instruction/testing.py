"""Bring a dossier in instruction to where ``complete_instruction`` is accepted, through the
real services (audited), for seed data and tests of later stages::

    opinion = ready_for_completion(dossier, by=instructeur)  # full marks: "favourable"
    perform(dossier, "complete_instruction", by=instructeur, data={"opinion": opinion})"""

from __future__ import annotations

import math

from . import grid, services


def ready_for_completion(
    dossier, *, by, favourable: bool = True, comment: str = "Appréciation de l'instructeur."
) -> str:
    """Override every unsettled failed verdict, score every manual criterion (full marks when
    ``favourable``, else just below the minimum share) and return the opinion the grid suggests."""
    view = services.eligibility_view(dossier)
    if view.run is None:
        services.recheck_eligibility(dossier, by=by)
        view = services.eligibility_view(dossier)
    for row in view.unsettled:
        services.override_verdict(
            dossier,
            row.verdict.pk,
            by=by,
            motivation=f"Dérogation pour les données de démonstration ({row.verdict.code}).",
        )
    params = dossier.rules.params
    scores = {}
    for crit in grid.criteria(params):
        if crit.automatic:
            continue
        points = crit.max if favourable else max(0, math.ceil(grid.min_points(crit, params)) - 1)
        scores[crit.code] = (points, comment)
    result = services.record_scores(dossier, by=by, scores=scores)
    return result.suggestion or grid.UNFAVOURABLE
