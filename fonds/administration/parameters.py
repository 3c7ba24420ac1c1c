"""Every number of the règlement as an editable field: which key of ``RuleSet.params`` it is, its
French label, its kind and bounds. ``flatten`` reads a rule set into field values, ``apply`` writes
cleaned values into a copy of the params, ``diff`` lists what changes between two versions
(label, old → new). Pure functions, no database: the rules form and the what-if both use them."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from decimal import Decimal

from fonds.formats import AmountError, euros, km, number
from fonds.referentiel.rules import DEFAULT_RULES

RULES = ("E1", "E2", "E3", "E4", "E5", "E6", "E7", "E8", "E9")


@dataclass(frozen=True)
class Param:
    """One number of the règlement: ``path`` in the params, a French label, a kind
    (``int`` | ``decimal`` | ``bool``) and the bounds an administrator may type."""

    path: tuple
    label: str
    kind: str = "int"
    low: Decimal | int = 0
    high: Decimal | int | None = None
    group: str = ""

    @property
    def name(self) -> str:
        return "__".join(str(p) for p in self.path)

    @property
    def money(self) -> bool:
        """An amount in euros (its label says « (€) »): typed as a French person writes it."""
        return self.kind == "decimal" and "(€)" in self.label


def _p(group, path, label, kind="int", low=0, high=None) -> Param:
    return Param(tuple(path), label, kind, low, high, group)


ELIG = "Éligibilité (E1–E9)"
AMOUNT = "Montant de l'aide (formule)"
DEADLINES = "Délais et relances"
OTHER = "Comité, paiement, pièces et conservation"
E = ("eligibility",)

PARAMS: list[Param] = [
    _p(ELIG, E + ("max_population",), "E1 — population maximale de la commune (habitants)", high=10_000_000),
    _p(ELIG, E + ("min_youth",), "E4 — nombre minimal de jeunes", low=1, high=500),
    _p(ELIG, E + ("youth_min_age",), "E4 — âge minimal des jeunes (ans)", high=120),
    _p(ELIG, E + ("youth_max_age",), "E4 — âge maximal des jeunes (ans)", high=120),
    _p(ELIG, E + ("leader_min_age",), "E4 — âge minimal des accompagnateurs (ans)", high=120),
    _p(ELIG, E + ("youth_per_leader",), "E4 — jeunes par accompagnateur (au plus)", low=1, high=500),
    _p(ELIG, E + ("min_activity_days",), "E5 — jours d'activité (au moins)", low=1, high=365),
    _p(ELIG, E + ("max_activity_days",), "E5 — jours d'activité (au plus)", low=1, high=365),
    _p(ELIG, E + ("min_days_before_start",), "E5 — jours entre le dépôt et le début (au moins)", high=730),
    _p(ELIG, E + ("min_own_share_pct",), "E6 — part propre de la commune (%, au moins)", "decimal", high=100),
    _p(
        ELIG,
        E + ("max_grant_pct_of_eligible",),
        "E6 — aide demandée (% des dépenses éligibles, au plus)",
        "decimal",
        high=100,
    ),
    _p(ELIG, E + ("min_request",), "E6 — montant demandé minimal (€)", "decimal", high=10_000_000),
    _p(ELIG, E + ("max_request",), "E6 — montant demandé maximal (€)", "decimal", high=10_000_000),
    *[
        _p(ELIG, E + ("blocking", code), f"{code} bloquant (sinon simple avertissement)", "bool")
        for code in RULES
    ],
    _p(AMOUNT, ("amount", "cap"), "Plafond de l'aide (€)", "decimal", high=10_000_000),
    _p(
        AMOUNT,
        ("amount", "max_pct_of_eligible"),
        "Aide maximale (% des dépenses éligibles)",
        "decimal",
        high=100,
    ),
    _p(AMOUNT, ("amount", "floor"), "Plancher : pas d'aide en dessous de (€)", "decimal", high=10_000_000),
    _p(AMOUNT, ("amount", "organisation"), "Forfait d'organisation O (€)", "decimal", high=1_000_000),
    _p(
        AMOUNT,
        ("amount", "stay_per_night"),
        "Séjour S : montant par participant et par nuitée (€)",
        "decimal",
        high=10_000,
    ),
    *[
        _p(DEADLINES, ("deadlines", key), label, high=3650)
        for key, label in (
            ("corrections_days", "Délai de corrections (jours)"),
            ("corrections_reminder_days", "Relance avant la fin du délai de corrections (jours)"),
            ("agreement_days", "Délai d'acceptation de la convention (jours)"),
            ("agreement_reminder_days", "Relance avant la fin du délai de convention (jours)"),
            ("report_months_after_end", "Rapport final : mois après la fin du projet"),
            ("report_reminder_days", "Relance avant l'échéance du rapport final (jours)"),
            ("recovery_answer_days", "Délai de réponse à une demande de reversement (jours)"),
            ("activity_period_months", "Période d'activité après le comité (mois)"),
        )
    ],
    _p(
        OTHER,
        ("committee", "convocation_min_days"),
        "Convocation du comité : jours avant la séance (au moins)",
        high=365,
    ),
    _p(OTHER, ("committee", "max_proxies_per_member"), "Procurations par membre (au plus)", high=1),
    _p(OTHER, ("committee", "quorum_fraction"), "Quorum (fraction des membres, de 0 à 1)", "decimal", high=1),
    _p(
        OTHER,
        ("committee", "open_tolerance_minutes"),
        "Ouverture de séance : minutes d'avance (au plus)",
        high=240,
    ),
    _p(OTHER, ("payment", "advance_pct"), "Avance versée (% de l'aide)", "decimal", high=100),
    _p(OTHER, ("uploads", "max_file_mb"), "Taille maximale d'une pièce (Mo)", low=1, high=100),
    _p(OTHER, ("uploads", "max_dossier_mb"), "Taille maximale d'un dossier (Mo)", low=1, high=1000),
    _p(
        OTHER,
        ("retention", "minors_data_years"),
        "Conservation des données des mineurs (années)",
        low=1,
        high=30,
    ),
]

#: the travel bands of the formula: per band, ``[min_km, max_km or None, standard €, green €]``
BAND_COLUMNS = (
    ("min", "de (km)"),
    ("max", "à (km, vide : sans limite)"),
    ("standard", "tarif standard (€)"),
    ("green", "tarif bas carbone (€)"),
)


def _get(params: dict, path: tuple):
    node = params
    for key in path:
        if not isinstance(node, dict) or key not in node:
            node = DEFAULT_RULES
            for k in path:
                node = node[k]
            return node
        node = node[key]
    return node


def _set(params: dict, path: tuple, value) -> None:
    node = params
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value


def stored(param: Param, value):
    """A cleaned value as the params keep it: amounts and percentages as strings (Decimal-safe)."""
    if param.kind == "decimal":
        return format(Decimal(value).normalize(), "f")
    if param.kind == "bool":
        return bool(value)
    return int(value)


def flatten(params: dict) -> dict:
    """The form's initial values for ``params`` (travel bands as ``band_<i>_<column>``)."""
    values = {}
    for param in PARAMS:
        value = _get(params, param.path)
        values[param.name] = Decimal(str(value)) if param.kind == "decimal" else value
    for i, band in enumerate(_get(params, ("amount", "travel_bands"))):
        for (column, _), value in zip(BAND_COLUMNS, band):
            values[f"band_{i}_{column}"] = None if value is None else Decimal(str(value))
    return values


def band_count(params: dict) -> int:
    return len(_get(params, ("amount", "travel_bands")))


def apply(params: dict, cleaned: dict) -> dict:
    """A copy of ``params`` with every field of ``cleaned`` written in (other keys kept)."""
    out = copy.deepcopy(params)
    for param in PARAMS:
        if param.name in cleaned:
            _set(out, param.path, stored(param, cleaned[param.name]))
    bands = []
    for i in range(band_count(params)):
        if f"band_{i}_min" not in cleaned:
            return out
        low, high = cleaned[f"band_{i}_min"], cleaned[f"band_{i}_max"]
        bands.append(
            [
                int(low),
                None if high is None else int(high),
                stored(_DEC, cleaned[f"band_{i}_standard"]),
                stored(_DEC, cleaned[f"band_{i}_green"]),
            ]
        )
    _set(out, ("amount", "travel_bands"), bands)
    return out


_DEC = Param(("_",), "", "decimal")


def consistency_errors(params: dict) -> dict[str, str]:
    """Refusals that span several fields (French), by field name."""
    errors = {}
    elig = params["eligibility"]
    pairs = (
        ("youth_min_age", "youth_max_age", "L'âge minimal des jeunes doit être inférieur à l'âge maximal."),
        ("min_activity_days", "max_activity_days", "Le minimum de jours d'activité dépasse le maximum."),
        ("min_request", "max_request", "Le montant minimal demandé dépasse le montant maximal."),
    )
    for low, high, text in pairs:
        if Decimal(str(elig[low])) > Decimal(str(elig[high])):
            errors["eligibility__" + high] = text
    amount = params["amount"]
    if Decimal(amount["floor"]) > Decimal(amount["cap"]):
        errors["amount__floor"] = "Le plancher de l'aide dépasse son plafond."
    previous_high = None
    for i, (low, high, _, _) in enumerate(amount["travel_bands"]):
        if high is not None and high < low:
            errors[f"band_{i}_max"] = f"Tranche {i + 1} : la borne haute précède la borne basse."
        elif previous_high is not None and low <= previous_high:
            errors[f"band_{i}_min"] = f"Tranche {i + 1} : elle chevauche la tranche précédente."
        previous_high = high if high is not None else 10**9
    return errors


def _shown(value) -> str:
    """A value as people read it: « oui », « 3 500 », « 0,5 »."""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if value is None:
        return "—"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    try:
        return number(value)
    except (AmountError, ValueError, ArithmeticError):
        return str(value)


def diff(old: dict, new: dict) -> list[dict]:
    """What changes from ``old`` to ``new``: ``{"key", "label", "old", "new"}`` per changed
    number (travel bands per band, other sections — the grid — per key), in the form's order."""
    rows = []
    for param in PARAMS:
        before, after = _get(old, param.path), _get(new, param.path)
        if str(before) != str(after):
            rows.append(
                {
                    "key": ".".join(param.path),
                    "label": param.label,
                    "old": _shown(before),
                    "new": _shown(after),
                }
            )
    old_bands, new_bands = _get(old, ("amount", "travel_bands")), _get(new, ("amount", "travel_bands"))
    for i in range(max(len(old_bands), len(new_bands))):
        before = old_bands[i] if i < len(old_bands) else None
        after = new_bands[i] if i < len(new_bands) else None
        if before != after:
            rows.append(
                {
                    "key": f"amount.travel_bands.{i}",
                    "label": f"Tranche de distance n° {i + 1}",
                    "old": _band_text(before),
                    "new": _band_text(after),
                }
            )
    known = {p.path for p in PARAMS} | {("amount", "travel_bands")}
    for section in sorted(set(old) | set(new)):
        for key in sorted(set(old.get(section) or {}) | set(new.get(section) or {})):
            if (section, key) in known or (section == "eligibility" and key == "blocking"):
                continue
            before, after = (old.get(section) or {}).get(key), (new.get(section) or {}).get(key)
            if before != after:
                rows.append(
                    {
                        "key": f"{section}.{key}",
                        "label": f"{section} › {key}",
                        "old": _shown(before),
                        "new": _shown(after),
                    }
                )
    return rows


def _band_text(band) -> str:
    if band is None:
        return "—"
    low, high, standard, green = band
    upper = "sans limite" if high is None else km(high)
    return f"{km(low)} à {upper} : {euros(standard)} (bas carbone {euros(green)})"
