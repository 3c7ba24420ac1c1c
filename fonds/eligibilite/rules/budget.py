"""E6: the budget (the commune's own share, the amount requested against the eligible expenses)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from fonds.formats import dec, euros, pct

from .base import Outcome, _outcome, _params, _related, rule

# ---- E6 — budget ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetFigures:
    total: Decimal  # every expense line
    eligible: Decimal  # expense lines flagged eligible
    own_share: Decimal  # income lines of category "own_share"
    income: Decimal  # every income line


def budget_figures(dossier) -> BudgetFigures:
    """Totals of the dossier's budget lines (prefetched ``budget_lines`` used when present)."""
    total = eligible = own = income = Decimal("0")
    for line in _related(dossier, "budget_lines"):
        amount = dec(line.amount)
        if line.kind == "expense":
            total += amount
            if line.eligible:
                eligible += amount
        elif line.kind == "income":
            income += amount
            if line.category == "own_share":
                own += amount
    return BudgetFigures(total, eligible, own, income)


@rule("E6")
def e6_budget(dossier, ruleset, *, at, context=None) -> Outcome:
    """E6: own share ≥ ``min_own_share_pct`` % of total expenses (exactly the percentage passes);
    requested amount ≤ ``max_grant_pct_of_eligible`` % of eligible expenses (exactly passes);
    ``min_request`` ≤ requested ≤ ``max_request``. Decimal arithmetic only, no rounding: the
    comparisons are made as ``own × 100 ≥ pct × total`` and ``requested × 100 ≤ pct × eligible``.
    A budget without expenses fails.
    """
    p = _params(ruleset)
    own_pct, max_pct = dec(p["min_own_share_pct"]), dec(p["max_grant_pct_of_eligible"])
    min_req, max_req = dec(p["min_request"]), dec(p["max_request"])
    b = budget_figures(dossier)
    requested = dossier.requested_amount
    hundred = Decimal("100")
    data = {
        "total_budget": str(b.total),
        "eligible_costs": str(b.eligible),
        "own_share": str(b.own_share),
        "total_income": str(b.income),
        "requested_amount": None if requested is None else str(requested),
        "min_own_share_pct": str(own_pct),
        "max_grant_pct_of_eligible": str(max_pct),
        "min_request": str(min_req),
        "max_request": str(max_req),
        "own_share_pct": str((b.own_share * hundred / b.total).quantize(Decimal("0.01")))
        if b.total
        else None,
        "max_request_from_eligible": str(b.eligible * max_pct / hundred),
    }
    problems = []
    if b.total <= 0:
        problems.append(
            (
                "Le budget ne comporte aucune dépense.",
                "Saisissez les dépenses prévues du projet dans la rubrique « Budget ».",
            )
        )
    elif b.own_share * hundred < own_pct * b.total:
        needed = own_pct * b.total / hundred
        problems.append(
            (
                f"La part de la commune ({euros(b.own_share)}) est inférieure à {pct(own_pct)} du budget "
                f"total ({euros(b.total)}).",
                f"Portez la part de la commune à au moins {euros(needed)}.",
            )
        )
    if requested is None:
        problems.append(
            (
                "Le montant demandé n'est pas indiqué.",
                f"Indiquez le montant demandé, entre {euros(min_req)} et {euros(max_req)}.",
            )
        )
    else:
        if requested * hundred > max_pct * b.eligible:
            problems.append(
                (
                    f"Le montant demandé ({euros(requested)}) dépasse {pct(max_pct)} des dépenses éligibles "
                    f"({euros(b.eligible)}), soit {euros(b.eligible * max_pct / hundred)}.",
                    f"Demandez au plus {euros(b.eligible * max_pct / hundred)}, ou complétez les dépenses "
                    "éligibles.",
                )
            )
        if requested < min_req:
            problems.append(
                (
                    f"Le montant demandé ({euros(requested)}) est inférieur au minimum de {euros(min_req)}.",
                    f"Demandez au moins {euros(min_req)}.",
                )
            )
        if requested > max_req:
            problems.append(
                (
                    f"Le montant demandé ({euros(requested)}) dépasse le maximum de {euros(max_req)}.",
                    f"Demandez au plus {euros(max_req)}.",
                )
            )
    ok = (
        f"Part de la commune {euros(b.own_share)} sur {euros(b.total)} ; montant demandé "
        f"{euros(requested or 0)}."
        if requested is not None
        else ""
    )
    return _outcome("E6", problems, data, ok)
