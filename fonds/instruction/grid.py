"""The scoring grid of the règlement, as pure functions of ``params["scoring"]``: favourable
when the total reaches the threshold and every criterion scored by the instructor reaches its
minimum share (automatic criteria rank but never exclude). ``criteria``, ``territorial_points``,
``evaluate``, ``validate_points``, ``opinion_refusal``. Details: docs/stages.md (Grid)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from fonds.formats import inhabitants, number, pct

FAVOURABLE = "favourable"
UNFAVOURABLE = "unfavourable"
OPINION_LABELS = {FAVOURABLE: "Favorable", UNFAVOURABLE: "Défavorable"}
TERRITORIAL = "territorial"


@dataclass(frozen=True)
class Criterion:
    code: str
    label: str
    max: int
    automatic: bool = False


@dataclass
class CriterionResult:
    criterion: Criterion
    points: int | None
    min_points: Decimal | None  # the minimum share, possibly fractional (12.5); None: no minimum

    @property
    def scored(self) -> bool:
        return self.points is not None

    @property
    def has_minimum(self) -> bool:
        """Only criteria scored by the instructor have a minimum (automatic ones rank only)."""
        return self.min_points is not None

    @property
    def meets_minimum(self) -> bool | None:
        if self.points is None or self.min_points is None:
            return None
        return Decimal(self.points) >= self.min_points


@dataclass
class GridResult:
    results: list[CriterionResult]
    total: int  # of the criteria scored so far
    max_total: int
    threshold: int
    min_share_pct: Decimal
    missing: list[str] = field(default_factory=list)  # criterion codes without points
    below_minimum: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def meets_threshold(self) -> bool:
        return self.total >= self.threshold

    @property
    def suggestion(self) -> str | None:
        """The opinion the grid calls for; None until every criterion is scored."""
        if not self.complete:
            return None
        return FAVOURABLE if self.meets_threshold and not self.below_minimum else UNFAVOURABLE

    @property
    def below_thresholds(self) -> bool:
        """A complete grid that cannot be sent as favourable (total or a criterion too low)."""
        return self.complete and (not self.meets_threshold or bool(self.below_minimum))

    @property
    def reasons(self) -> list[str]:
        """Why the suggestion is unfavourable (French), empty when favourable or incomplete."""
        out = []
        if self.complete and not self.meets_threshold:
            out.append(f"Total de {self.total} points, en dessous du seuil de {self.threshold}.")
        for r in self.results:
            if r.criterion.code in self.below_minimum:
                out.append(
                    f"« {r.criterion.label} » : {r.points} point(s), moins de {pct(self.min_share_pct)} du "
                    f"maximum ({r.criterion.max})."
                )
        return out

    def as_dict(self) -> dict:
        """JSON-safe, for the audit payload."""
        return {
            "total": self.total,
            "max_total": self.max_total,
            "threshold": self.threshold,
            "min_share_pct": str(self.min_share_pct),
            "points": {r.criterion.code: r.points for r in self.results},
            "missing": list(self.missing),
            "below_minimum": list(self.below_minimum),
            "suggestion": self.suggestion,
        }


def _scoring(params: dict) -> dict:
    return params["scoring"] if "scoring" in params else params


def criteria(params: dict) -> list[Criterion]:
    return [
        Criterion(c["code"], c["label"], int(c["max"]), bool(c.get("automatic", False)))
        for c in _scoring(params)["criteria"]
    ]


def criterion(params: dict, code: str) -> Criterion | None:
    return next((c for c in criteria(params) if c.code == code), None)


def min_points(crit: Criterion, params: dict) -> Decimal | None:
    """The criterion's minimum (``min_share_per_criterion_pct`` % of its max); None for an
    automatic criterion, which ranks but never excludes."""
    if crit.automatic:
        return None
    return Decimal(crit.max) * Decimal(str(_scoring(params)["min_share_per_criterion_pct"])) / Decimal(100)


def validate_points(crit: Criterion, points) -> str:
    """ "" when ``points`` is a whole number from 0 to the criterion's maximum, else a French error."""
    if isinstance(points, bool) or not isinstance(points, int):
        return f"« {crit.label} » : indiquez un nombre entier de points."
    if not 0 <= points <= crit.max:
        return f"« {crit.label} » : de 0 à {crit.max} points."
    return ""


def territorial_points(population: int | None, overseas: bool, params: dict) -> tuple[int, str]:
    """``(points, French explanation)`` of the territorial priority criterion."""
    scoring = _scoring(params)
    crit = criterion(params, TERRITORIAL)
    cap = crit.max if crit else None
    base, text = 0, ""
    if population is None:
        text = "Population inconnue : aucun point de taille."
    else:
        for band in sorted(scoring["territorial_bands"], key=lambda b: int(b["below"])):
            if population < int(band["below"]):
                base = int(band["points"])
                text = f"{inhabitants(population)} (moins de {number(band['below'])}) : {base} points."
                break
        else:
            text = f"{inhabitants(population)} : au-delà des tranches de priorité, 0 point."
    points = base
    if overseas:
        bonus = int(scoring.get("overseas_bonus", 0))
        points = base + bonus
        text += f" Commune d'outre-mer : +{bonus} points."
    if cap is not None and points > cap:
        points = cap
        text += f" Plafonné au maximum du critère ({cap})."
    return points, text


def evaluate(points: dict[str, int | None], params: dict) -> GridResult:
    """The grid applied to ``{criterion code: points or None}`` (unknown codes ignored)."""
    scoring = _scoring(params)
    results, missing, below = [], [], []
    total = 0
    for crit in criteria(params):
        value = points.get(crit.code)
        result = CriterionResult(crit, value, min_points(crit, params))
        results.append(result)
        if value is None:
            missing.append(crit.code)
            continue
        total += value
        if result.meets_minimum is False:  # None: an automatic criterion, no minimum
            below.append(crit.code)
    return GridResult(
        results=results,
        total=total,
        max_total=sum(c.max for c in criteria(params)),
        threshold=int(scoring["threshold_total"]),
        min_share_pct=Decimal(str(scoring["min_share_per_criterion_pct"])),
        missing=missing,
        below_minimum=below,
    )


def opinion_consistent(opinion: str, grid: GridResult) -> bool:
    """Whether the instructor's opinion is the one the (complete) grid suggests."""
    return grid.suggestion is not None and opinion == grid.suggestion


def opinion_refusal(opinion: str, grid: GridResult) -> str:
    """ "" when ``opinion`` may be given on ``grid``; else why not, in French.

    Only one opinion is ever impossible: *favourable* on a complete grid below the thresholds (the
    total, or half the points of a criterion scored by the instructor) — no motivation lifts it.
    An unfavourable opinion on a favourable grid stays possible (with a motivation, see hooks).
    """
    if opinion != FAVOURABLE or not grid.below_thresholds:
        return ""
    return (
        "un avis favorable est impossible, quelle que soit la motivation : "
        "la grille est sous les seuils du règlement ("
        + " ".join(grid.reasons).rstrip(".")
        + ") — l'avis est donc défavorable, le comité décide ensuite"
    )
