"""The scoring grid of a campaign (``params["scoring"]``: criteria and their points, the total
threshold, the minimum share per criterion, the territorial bands of the automatic criterion):
changed as a new rule version until the first score of the campaign is recorded; after that,
refused — instructors must all score on one grid, so a different grid needs a new campaign."""

from __future__ import annotations

import copy

from django.utils.text import slugify

from fonds.instruction.models import Score
from fonds.referentiel.models import Campaign

from . import versions
from .guards import AdminRefused

LOCKED = (
    "La grille de notation ne peut plus changer : une première note a été enregistrée dans cette "
    "campagne. Une autre grille demande une nouvelle campagne (à créer par copie de celle-ci)."
)


def is_locked(campaign) -> bool:
    """True once any dossier of the campaign has a score."""
    return Score.objects.filter(dossier__campaign=campaign).exists()


def flatten(params: dict) -> dict:
    """The form's initial values: ``crit_<i>_label`` / ``crit_<i>_max``, bands, thresholds."""
    scoring = params["scoring"]
    values = {
        "threshold_total": scoring["threshold_total"],
        "min_share_per_criterion_pct": scoring["min_share_per_criterion_pct"],
        "overseas_bonus": scoring.get("overseas_bonus", 0),
    }
    for i, crit in enumerate(scoring["criteria"]):
        values[f"crit_{i}_label"] = crit["label"]
        values[f"crit_{i}_max"] = crit["max"]
        values[f"crit_{i}_automatic"] = bool(crit.get("automatic"))
    for i, band in enumerate(scoring.get("territorial_bands", [])):
        values[f"band_{i}_below"] = band["below"]
        values[f"band_{i}_points"] = band["points"]
    return values


def _code(label: str, taken: set) -> str:
    """A new criterion's code: its label in ASCII lower case, unique in the grid."""
    base = slugify(label).replace("-", "_")[:24] or "critere"
    code, n = base, 2
    while code in taken:
        code, n = f"{base}_{n}", n + 1
    return code


def apply(params: dict, cleaned: dict) -> dict:
    """A copy of ``params`` with the grid's cleaned values written in: criteria codes kept,
    criteria ticked ``crit_<i>_remove`` left out, a ``new_label`` / ``new_max`` criterion added
    (scored by the instructor)."""
    out = copy.deepcopy(params)
    scoring = out["scoring"]
    for key in ("threshold_total", "min_share_per_criterion_pct", "overseas_bonus"):
        scoring[key] = int(cleaned[key])
    kept = []
    for i, crit in enumerate(scoring["criteria"]):
        if cleaned.get(f"crit_{i}_remove"):
            continue
        crit["label"] = cleaned[f"crit_{i}_label"].strip()
        crit["max"] = int(cleaned[f"crit_{i}_max"])
        kept.append(crit)
    label = (cleaned.get("new_label") or "").strip()
    if label:
        code = _code(label, {c["code"] for c in scoring["criteria"]})
        kept.append(
            {"code": code, "label": label, "max": int(cleaned.get("new_max") or 0), "automatic": False}
        )
    scoring["criteria"] = kept
    for i, band in enumerate(scoring.get("territorial_bands", [])):
        band["below"] = int(cleaned[f"band_{i}_below"])
        band["points"] = int(cleaned[f"band_{i}_points"])
    return out


def grid_errors(params: dict) -> dict[str, str]:
    """Cross-field refusals of a grid, in French, by field name."""
    scoring = params["scoring"]
    total = sum(int(c["max"]) for c in scoring["criteria"])
    errors = {}
    if not scoring["criteria"]:
        errors["threshold_total"] = "La grille doit garder au moins un critère."
    elif total <= 0:
        errors["crit_0_max"] = "La grille doit compter au moins un point."
    elif int(scoring["threshold_total"]) > total:
        errors["threshold_total"] = f"Le seuil dépasse le total des points de la grille ({total})."
    auto = next((c for c in scoring["criteria"] if c.get("automatic")), None)
    for i, band in enumerate(scoring.get("territorial_bands", [])):
        if auto is not None and int(band["points"]) > int(auto["max"]):
            errors[f"band_{i}_points"] = (
                f"Tranche {i + 1} : plus de points que le critère automatique n'en compte."
            )
    return errors


def publish_grid(campaign: Campaign, params: dict, *, by, motivation: str):
    """A new rule version with the grid of ``params`` (other sections unchanged), while no score
    exists; dossiers not yet instructed move to it (they have no score yet)."""

    def unscored(locked):
        if is_locked(locked):
            raise AdminRefused("status", LOCKED)

    unscored(campaign)
    current = campaign.rules.params
    if {k: v for k, v in params.items() if k != "scoring"} != {
        k: v for k, v in current.items() if k != "scoring"
    }:
        raise AdminRefused("condition", "Seule la grille de notation change sur cet écran.")
    return versions.publish_version(
        campaign,
        params,
        by=by,
        motivation=motivation,
        migration=versions.MOVE,
        action="scoring_grid_changed",
        guard=unscored,
    )
