"""The grant amount proposed by the formula of the règlement (amendable by the instructor):
min(cap, max % of eligible costs, requested amount, T + S + O) rounded down to the euro, not
awarded below the floor; T travel by distance band, S stay, O organisation. ``award_bounds`` /
``check_award_amount``: the range every awarded amount must lie in. Every number comes from
``params``; money is Decimal only. Details: docs/stages.md (Amount)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from fonds.dossiers.services import TransitionRefused
from fonds.eligibilite.rules.budget import budget_figures
from fonds.formats import AmountError, dec, euros, km, number, pct
from fonds.formats import parse_amount as read_amount
from fonds.referentiel.geo import great_circle_km

EURO = Decimal("1")
ZERO = Decimal("0")
HUNDRED = Decimal("100")


@dataclass
class GrantBreakdown:
    # inputs
    distance_km: int | None
    low_carbon: bool
    youth: int
    leaders: int
    travellers: int
    nights: int
    nights_hosted: int
    nights_paid: int
    eligible_costs: Decimal
    requested: Decimal | None
    # the formula
    band: tuple | None  # (min_km, max_km or None) of the band used, None when no band applies
    band_amount: Decimal
    travel: Decimal  # T
    stay: Decimal  # S
    organisation: Decimal  # O
    formula_total: Decimal  # T + S + O
    # the limits
    cap: Decimal
    eligible_pct: Decimal
    eligible_limit: Decimal  # eligible_pct % × eligible costs
    limiting: str  # which term gave the minimum: formula | cap | eligible | requested
    caps_applied: list[str]  # every limit below the formula total
    before_rounding: Decimal
    amount: Decimal  # rounded down to the euro
    floor: Decimal
    awarded: bool
    reason: str  # why not awarded ("" when awarded)
    lines: list[str] = field(default_factory=list)  # the explanation, in French

    @property
    def grant(self) -> Decimal:
        """The amount to propose: ``amount`` when awarded, else 0."""
        return self.amount if self.awarded else ZERO

    def as_dict(self) -> dict:
        """JSON-safe (Decimals as strings) — for the audit payload and the API."""
        out = {}
        for key, value in asdict(self).items():
            if isinstance(value, Decimal):
                value = str(value)
            elif isinstance(value, tuple):
                value = list(value)
            out[key] = value
        out["grant"] = str(self.grant)
        return out


def _amount_params(params: dict) -> dict:
    return params["amount"] if "amount" in params else params


def travel_band(distance_km, bands) -> tuple[tuple | None, Decimal, Decimal]:
    """``((min, max), standard, green)`` of the band holding ``distance_km``; ``(None, 0, 0)`` if none."""
    if distance_km is None:
        return None, ZERO, ZERO
    d = int(dec(distance_km).quantize(EURO, rounding=ROUND_HALF_UP))
    for low, high, standard, green in bands:
        if d >= int(low) and (high is None or d <= int(high)):
            return (int(low), None if high is None else int(high)), dec(standard), dec(green)
    return None, ZERO, ZERO


def _band_text(band) -> str:
    low, high = band
    return f"plus de {km(low)}" if high is None else f"{number(low)} à {km(high)}"


def _travel_text(distance, band, travellers, youth, leaders, band_amount, low_carbon, travel) -> str:
    kind = "voyage bas carbone" if low_carbon else "tarif standard"
    if distance is None:
        return "Voyage (T) : distance entre les deux mairies inconnue, aucun forfait voyage : 0 €."
    if band is None:
        return (
            f"Voyage (T) : {km(distance)} entre les deux mairies, en dessous de la première tranche de "
            "distance : 0 €."
        )
    return (
        f"Voyage (T) : {km(distance)} entre les deux mairies (tranche {_band_text(band)}), "
        f"{travellers} voyageurs ({youth} jeunes + {leaders} accompagnateurs) × {euros(band_amount)} "
        f"({kind}) = {euros(travel)}."
    )


def _explain_limits(lines, cap, eligible_pct, eligible_costs, eligible_limit, requested, limiting) -> None:
    limit_texts = [
        f"plafond du fonds {euros(cap)}",
        f"{pct(eligible_pct)} des dépenses éligibles ({euros(eligible_costs)}) = {euros(eligible_limit)}",
    ]
    if requested is not None:
        limit_texts.append(f"montant demandé {euros(requested)}")
    lines.append("Limites : " + " ; ".join(limit_texts) + ".")


def compute_grant(
    *,
    distance_km,
    low_carbon: bool,
    youth: int,
    leaders: int,
    nights: int,
    nights_hosted: int,
    eligible_costs,
    requested,
    params: dict,
    explain: bool = True,
) -> GrantBreakdown:
    """Apply the règlement's formula; every figure and a French explanation in the result
    (``explain=False``: no explanation lines, for replays of many dossiers — the same figures)."""
    p = _amount_params(params)
    youth, leaders = int(youth or 0), int(leaders or 0)
    nights, nights_hosted = int(nights or 0), int(nights_hosted or 0)
    travellers = youth + leaders
    eligible_costs = dec(eligible_costs or 0)
    requested = None if requested is None else dec(requested)
    distance = None if distance_km is None else int(dec(distance_km).quantize(EURO, rounding=ROUND_HALF_UP))
    lines: list[str] = []

    # T — travel
    band, standard, green = travel_band(distance, p["travel_bands"])
    band_amount = green if low_carbon else standard
    travel = travellers * band_amount
    if explain:
        lines.append(
            _travel_text(distance, band, travellers, youth, leaders, band_amount, low_carbon, travel)
        )

    # S — stay
    stay_rate = dec(p["stay_per_night"])
    nights_paid = max(0, nights - nights_hosted)
    stay = nights_paid * travellers * stay_rate
    if explain:
        lines.append(
            f"Séjour (S) : {nights_paid} nuitée(s) hors familles d'accueil ({nights} − "
            f"{min(nights_hosted, nights)}) "
            f"× {travellers} voyageurs × {euros(stay_rate)} = {euros(stay)}."
        )

    # O — organisation
    organisation = dec(p["organisation"])
    formula_total = travel + stay + organisation
    if explain:
        lines.append(f"Organisation (O) : forfait de {euros(organisation)} par projet.")
        lines.append(f"Total de la formule T + S + O : {euros(formula_total)}.")

    # limits
    cap = dec(p["cap"])
    eligible_pct = dec(p["max_pct_of_eligible"])
    eligible_limit = eligible_costs * eligible_pct / HUNDRED
    candidates = [("formula", formula_total), ("cap", cap), ("eligible", eligible_limit)]
    if requested is not None:
        candidates.append(("requested", requested))
    limiting, before_rounding = min(candidates, key=lambda item: item[1])  # first wins on a tie: formula
    caps_applied = [name for name, value in candidates[1:] if value < formula_total]
    amount = before_rounding.quantize(EURO, rounding=ROUND_DOWN)
    if explain:
        _explain_limits(lines, cap, eligible_pct, eligible_costs, eligible_limit, requested, limiting)
        rounding = (
            "" if amount == before_rounding else f" ({euros(before_rounding)} arrondi à l'euro inférieur)"
        )
        why = {
            "formula": "le total de la formule",
            "cap": "le plafond du fonds",
            "eligible": f"{pct(eligible_pct)} des dépenses éligibles",
            "requested": "le montant demandé",
        }[limiting]
        lines.append(
            f"Montant retenu : {euros(amount)}, soit le plus petit des montants ci-dessus ({why}){rounding}."
        )

    floor = dec(p["floor"])
    awarded = amount >= floor
    reason = ""
    if not awarded:
        reason = (
            f"Le montant calculé ({euros(amount)}) est inférieur au minimum de {euros(floor)} : "
            "la subvention n'est pas attribuée."
        )
        lines.append(reason)

    return GrantBreakdown(
        distance_km=distance,
        low_carbon=bool(low_carbon),
        youth=youth,
        leaders=leaders,
        travellers=travellers,
        nights=nights,
        nights_hosted=nights_hosted,
        nights_paid=nights_paid,
        eligible_costs=eligible_costs,
        requested=requested,
        band=band,
        band_amount=band_amount,
        travel=travel,
        stay=stay,
        organisation=organisation,
        formula_total=formula_total,
        cap=cap,
        eligible_pct=eligible_pct,
        eligible_limit=eligible_limit,
        limiting=limiting,
        caps_applied=caps_applied,
        before_rounding=before_rounding,
        amount=amount,
        floor=floor,
        awarded=awarded,
        reason=reason,
        lines=lines,
    )


def dossier_distance_km(dossier) -> tuple[int | None, str]:
    """``(km, source)``: the great-circle distance between the commune's town hall and the
    partner town when both have coordinates (``source="coordinates"``), else the distance the
    commune declared (``"declared"``), else ``(None, "unknown")``. The computed distance takes
    precedence because the règlement defines T on the great-circle distance.
    """
    commune = dossier.commune
    partner = dossier.jumelage.partner if dossier.jumelage_id else None
    coords = [commune.latitude, commune.longitude] + (
        [partner.latitude, partner.longitude] if partner else [None, None]
    )
    if all(c is not None for c in coords):
        return great_circle_km(*coords), "coordinates"
    if dossier.distance_km is not None:
        return int(dossier.distance_km), "declared"
    return None, "unknown"


def group_figures(source) -> dict:
    """The group a dossier plans (or its final report reports), as ``compute_grant`` takes it:
    young people, leaders, nights, nights hosted."""
    return {
        "youth": source.youth_count,
        "leaders": source.leader_count,
        "nights": source.nights,
        "nights_hosted": source.nights_hosted,
    }


def grant_for_dossier(dossier, params: dict | None = None, *, explain: bool = True) -> GrantBreakdown:
    """The formula applied to a dossier's fields, its budget lines (eligible expenses) and its
    campaign's current rules (or ``params`` when given, e.g. the rule version of a decision);
    ``explain=False``: the figures without the French lines (see ``compute_grant``).
    """
    params = params if params is not None else dossier.rules.params
    distance, source = dossier_distance_km(dossier)
    breakdown = compute_grant(
        distance_km=distance,
        low_carbon=dossier.low_carbon,
        **group_figures(dossier),
        eligible_costs=budget_figures(dossier).eligible,
        requested=dossier.requested_amount,
        params=params,
        explain=explain,
    )
    if not explain:
        return breakdown
    if source == "coordinates":
        breakdown.lines.insert(
            0, f"Distance calculée à vol d'oiseau entre la mairie et la ville partenaire : {km(distance)}."
        )
    elif source == "declared":
        breakdown.lines.insert(
            0,
            "Distance déclarée par la commune (coordonnées de la ville partenaire inconnues) : "
            f"{km(distance)}.",
        )
    return breakdown


# ---- the bounds of an awarded amount ----------------------------------------------------------


@dataclass(frozen=True)
class AwardBounds:
    """Where an awarded amount must lie: from ``minimum`` (the floor) to ``maximum``, the formula's
    own amount (the least of the cap, the share of eligible costs, the requested amount and
    T + S + O); ``limits`` names each cap with its value; ``possible`` is false when the caps fall
    below the floor. Unpacks as ``minimum, maximum = award_bounds(dossier)``."""

    minimum: Decimal
    maximum: Decimal
    limits: dict

    @property
    def possible(self) -> bool:
        return self.minimum <= self.maximum

    def __iter__(self):
        return iter((self.minimum, self.maximum))

    def as_dict(self) -> dict:
        limits = {name: str(value) for name, value in self.limits.items()}
        return {"minimum": str(self.minimum), "maximum": str(self.maximum), "limits": limits}


LIMIT_LABELS = {
    "cap": "plafond du fonds",
    "eligible": "part maximale des dépenses éligibles",
    "requested": "montant demandé",
    "formula": "formule T + S + O",
}


def award_bounds(source, params: dict | None = None) -> AwardBounds:
    """The bounds of an award for ``source``: a ``Dossier`` (the formula under ``params``, else its
    campaign's current rules: pass the version a decision is taken under) or a computed
    ``GrantBreakdown``. The one place they are computed, for the instructor's proposal, the
    committee's amendment and the waiting-list promotion (with ``check_award_amount``)."""
    breakdown = source if isinstance(source, GrantBreakdown) else grant_for_dossier(source, params)
    limits = {"cap": breakdown.cap, "eligible": breakdown.eligible_limit}
    if breakdown.requested is not None:
        limits["requested"] = breakdown.requested
    limits["formula"] = breakdown.formula_total
    maximum = min(limits.values()).quantize(EURO, rounding=ROUND_DOWN)
    return AwardBounds(minimum=breakdown.floor, maximum=maximum, limits=limits)


def parse_amount(value) -> Decimal:
    """An amount in euros from a form, the API or a Decimal (read by ``fonds.formats.parse_amount``);
    refuses (``TransitionRefused("condition")``) anything but a finite, non-negative, 2-decimal number."""
    try:
        amount = read_amount(value)
    except AmountError as error:
        raise TransitionRefused("condition", str(error), rules=["amount"]) from None
    if not amount.is_finite() or amount < 0 or amount.as_tuple().exponent < -2:
        message = "Montant invalide : un montant positif avec au plus deux décimales."
        raise TransitionRefused("condition", message, rules=["amount"])
    return amount


def award_refusal(amount, bounds: AwardBounds, *, zero_allowed: bool = False) -> str:
    """Why ``amount`` (a Decimal) may not be awarded within ``bounds`` (French), or "".

    ``zero_allowed``: 0 € is accepted as "no grant" (an instructor's proposal or an unfavourable
    opinion); an award (approval, promotion, favourable opinion) leaves it false.
    """
    caps = " ; ".join(f"{LIMIT_LABELS[name]} {euros(value)}" for name, value in bounds.limits.items())
    if amount == 0 and zero_allowed:
        return ""
    if not bounds.possible:
        text = (
            f"Le montant ne peut dépasser {euros(bounds.maximum)} (le plus petit de : {caps}), "
            f"en dessous du minimum de {euros(bounds.minimum)} : aucune subvention ne peut être attribuée "
            "à ce dossier"
        )
        return text + (" ; proposez 0 €." if zero_allowed else ".")
    if amount > bounds.maximum:
        return (
            f"Le montant de {euros(amount)} ne peut dépasser {euros(bounds.maximum)} "
            f"(le plus petit de : {caps})."
        )
    if amount < bounds.minimum:
        where = f"entre {euros(bounds.minimum)} et {euros(bounds.maximum)}"
        if amount == 0:
            return f"Un montant de 0 € n'est pas une subvention : le montant accordé est {where}."
        return f"En dessous de {euros(bounds.minimum)} la subvention n'est pas attribuée : " + (
            f"proposez 0 € ou un montant {where}." if zero_allowed else f"le montant est {where}."
        )
    return ""


def check_award_amount(amount, bounds: AwardBounds, *, zero_allowed: bool = False) -> Decimal:
    """``amount`` as a Decimal when it may be awarded within ``bounds``; else raises
    ``TransitionRefused("condition", French message, rules=["amount"])`` — a 400 in the API, the
    message shown as it is on a page. Use it wherever an amount is set::

        bounds = award_bounds(dossier, ruleset.params)
        amount = check_award_amount(request_amount, bounds)   # approve, amend, promote
    """
    amount = parse_amount(amount)
    refusal = award_refusal(amount, bounds, zero_allowed=zero_allowed)
    if refusal:
        raise TransitionRefused("condition", refusal, rules=["amount"])
    return amount
