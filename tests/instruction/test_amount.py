"""The grant formula: min(15,000 €, 80 % × eligible costs, requested, T + S + O), rounded down."""

import json
from decimal import Decimal

import pytest

from fonds.instruction.amount import compute_grant, travel_band
from fonds.referentiel.geo import great_circle_km
from fonds.referentiel.rules import default_rules

BIG = Decimal("100000")


def grant(params, **kw):
    values = dict(
        distance_km=812,
        low_carbon=False,
        youth=9,
        leaders=1,
        nights=0,
        nights_hosted=0,
        eligible_costs=BIG,
        requested=None,
        params=params,
    )
    values.update(kw)
    return compute_grant(**values)


# ---- travel bands ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "distance, standard, green",
    [
        (0, "0", "0"),
        (9, "0", "0"),
        (10, "28", "56"),
        (99, "28", "56"),
        (100, "211", "285"),
        (499, "211", "285"),
        (500, "309", "417"),
        (1999, "309", "417"),
        (2000, "395", "535"),
        (2999, "395", "535"),
        (3000, "580", "785"),
        (3999, "580", "785"),
        (4000, "1188", "1188"),
        (7999, "1188", "1188"),
        (8000, "1735", "1735"),
        (19000, "1735", "1735"),
    ],
)
def test_amount_band_lookup(params, distance, standard, green):
    assert grant(params, distance_km=distance).band_amount == Decimal(standard)
    assert grant(params, distance_km=distance, low_carbon=True).band_amount == Decimal(green)


def test_amount_band_edge_9_vs_10_km(params):
    below, first = grant(params, distance_km=9), grant(params, distance_km=10)
    assert below.band is None and below.travel == 0
    assert first.band == (10, 99) and first.travel == Decimal("280")


def test_amount_band_edge_99_vs_100_km(params):
    assert grant(params, distance_km=99).travel == 10 * Decimal("28")
    assert grant(params, distance_km=100).travel == 10 * Decimal("211")


def test_amount_band_edge_499_vs_500_km(params):
    assert grant(params, distance_km=499).band == (100, 499)
    assert grant(params, distance_km=500).band == (500, 1999)


def test_amount_band_edge_1999_vs_2000_km(params):
    assert grant(params, distance_km=1999).travel == Decimal("3090")
    assert grant(params, distance_km=2000).travel == Decimal("3950")


def test_amount_band_edge_2999_vs_3000_km(params):
    assert grant(params, distance_km=2999).travel == Decimal("3950")
    assert grant(params, distance_km=3000).travel == Decimal("5800")


def test_amount_band_edge_3999_vs_4000_km(params):
    assert grant(params, distance_km=3999).travel == Decimal("5800")
    assert grant(params, distance_km=4000).travel == Decimal("11880")


def test_amount_band_edge_7999_vs_8000_km(params):
    assert grant(params, distance_km=7999).band == (4000, 7999)
    assert grant(params, distance_km=8000).band == (8000, None)


def test_amount_distance_rounded_to_nearest_km_before_band(params):
    assert travel_band(Decimal("99.4"), params["amount"]["travel_bands"])[0] == (10, 99)
    assert travel_band(Decimal("99.5"), params["amount"]["travel_bands"])[0] == (100, 499)


def test_amount_unknown_distance_gives_no_travel_amount(params):
    result = grant(params, distance_km=None)
    assert result.travel == 0
    assert "inconnue" in result.lines[0]


def test_amount_green_vs_standard(params):
    standard = grant(params, distance_km=812, low_carbon=False)
    green = grant(params, distance_km=812, low_carbon=True)
    assert (standard.travel, green.travel) == (Decimal("3090"), Decimal("4170"))
    assert "bas carbone" in green.lines[0] and "standard" in standard.lines[0]


# ---- stay and organisation ---------------------------------------------------------------------


def test_amount_stay_counts_nights_not_hosted(params):
    result = grant(params, nights=9, nights_hosted=4)
    assert result.nights_paid == 5
    assert result.stay == Decimal("1250")  # 5 nights × 10 travellers × 25 €


def test_amount_stay_never_negative(params):
    result = grant(params, nights=3, nights_hosted=5)
    assert result.stay == 0 and result.nights_paid == 0


def test_amount_formula_total_is_t_plus_s_plus_o(params):
    result = grant(params, distance_km=812, low_carbon=True, nights=9, nights_hosted=4)
    assert result.organisation == Decimal("500")
    assert result.formula_total == Decimal("4170") + Decimal("1250") + Decimal("500")
    assert result.amount == Decimal("5920")
    assert result.limiting == "formula" and result.caps_applied == []
    assert result.awarded


# ---- caps, rounding, floor ------------------------------------------------------------------------


def test_amount_cap_15000(params):
    result = grant(params, distance_km=9000, youth=20, leaders=2, requested=Decimal("20000"))
    assert result.formula_total == 22 * Decimal("1735") + 500
    assert result.amount == Decimal("15000")
    assert result.limiting == "cap"
    assert "cap" in result.caps_applied


def test_amount_80pct_of_eligible_cap(params):
    result = grant(
        params, distance_km=812, low_carbon=True, nights=9, nights_hosted=4, eligible_costs=Decimal("5000")
    )
    assert result.eligible_limit == Decimal("4000")
    assert result.amount == Decimal("4000")
    assert result.limiting == "eligible"


def test_amount_requested_amount_cap(params):
    result = grant(
        params, distance_km=812, low_carbon=True, nights=9, nights_hosted=4, requested=Decimal("3000")
    )
    assert result.amount == Decimal("3000")
    assert result.limiting == "requested"


def test_amount_rounding_down_to_the_euro(params):
    result = grant(
        params, distance_km=812, low_carbon=True, nights=9, nights_hosted=4, eligible_costs=Decimal("5001.99")
    )
    assert result.before_rounding == Decimal("4001.592")
    assert result.amount == Decimal("4001")
    assert "arrondi à l'euro inférieur" in " ".join(result.lines)


def test_amount_rounding_down_of_requested_cents(params):
    assert grant(params, distance_km=812, requested=Decimal("3500.99")).amount == Decimal("3500")


def test_amount_floor_1000_not_awarded(params):
    result = grant(params, distance_km=99)  # 10 × 28 + 500 = 780 €
    assert result.amount == Decimal("780")
    assert not result.awarded
    assert result.grant == 0
    assert "1\u00a0000" in result.reason and result.reason in result.lines


def test_amount_floor_exactly_1000_awarded(params):
    result = grant(params, distance_km=812, requested=Decimal("1000.99"))
    assert result.amount == Decimal("1000") and result.awarded and result.grant == Decimal("1000")


def test_amount_floor_applies_after_rounding_down(params):
    result = grant(params, distance_km=812, eligible_costs=Decimal("1249.99"))  # 80 % = 999.992 €
    assert result.amount == Decimal("999")
    assert not result.awarded


def test_amount_parameters_are_data(params):
    base = grant(params, nights=9, nights_hosted=4)
    params["amount"]["stay_per_night"] = "30"
    params["amount"]["organisation"] = "600"
    changed = grant(params, nights=9, nights_hosted=4)
    assert changed.formula_total - base.formula_total == Decimal("350")  # +5×10×5 € and +100 €


def test_amount_accepts_the_amount_section_alone(params):
    assert (
        grant(params["amount"], nights=9, nights_hosted=4).amount
        == grant(params, nights=9, nights_hosted=4).amount
    )


def test_amount_as_dict_is_json_safe(params):
    data = grant(params, nights=9, nights_hosted=4).as_dict()
    json.dumps(data)
    assert data["amount"] == "4840" and data["grant"] == "4840"


# ---- distance -----------------------------------------------------------------------------------


def test_great_circle_one_degree_on_equator():
    assert great_circle_km(0, 0, 0, 1) == 111  # 6371 × π / 180 = 111.19 km


def test_great_circle_quarter_meridian_rounds_half_up():
    assert great_circle_km(0, 0, 90, 0) == 10008  # 6371 × π / 2 = 10007.54 km


def test_great_circle_paris_berlin_with_decimal_inputs():
    km = great_circle_km(
        Decimal("48.856600"), Decimal("2.352200"), Decimal("52.520000"), Decimal("13.405000")
    )
    assert km == 877  # 877.46 km (law of cosines gives the same on the sphere)


def test_great_circle_same_point_is_zero():
    assert great_circle_km("45.5", "4.8", "45.5", "4.8") == 0


def test_formula_without_explanation_gives_the_same_figures():
    """``explain=False`` (the what-if replays) changes no figure, only leaves the lines out."""
    params = default_rules()
    inputs = dict(
        distance_km=850,
        low_carbon=True,
        youth=8,
        leaders=2,
        nights=8,
        nights_hosted=4,
        eligible_costs=Decimal("10000"),
        requested=Decimal("6000"),
        params=params,
    )
    explained, silent = compute_grant(**inputs), compute_grant(**inputs, explain=False)
    assert explained.lines and not silent.lines
    assert {**explained.as_dict(), "lines": []} == silent.as_dict()


# ---- rules the mutation run (issue 24) found unstated ------------------------------------------


def test_amount_figures_not_given_count_as_zero(params):
    """A group, nights or eligible costs not yet declared (None) count for nothing, never for one."""
    result = compute_grant(
        distance_km=812,
        low_carbon=False,
        youth=None,
        leaders=None,
        nights=None,
        nights_hosted=None,
        eligible_costs=None,
        requested=None,
        params=params,
    )
    assert (result.youth, result.leaders, result.travellers) == (0, 0, 0)
    assert (result.nights, result.nights_hosted, result.nights_paid) == (0, 0, 0)
    assert result.eligible_costs == 0 and result.eligible_limit == 0 and result.amount == 0


def test_amount_whole_euros_are_not_said_rounded(params):
    result = grant(params, nights=9, nights_hosted=4)  # 3,090 + 1,250 + 500 = 4,840 €
    assert result.amount == result.before_rounding == Decimal("4840")
    assert "arrondi" not in " ".join(result.lines)


def test_amount_limit_equal_to_the_formula_total_is_no_cap(params):
    """Only a limit below T + S + O caps the amount; on a tie the formula is named."""
    result = grant(params, nights=9, nights_hosted=4, requested=Decimal("4840"))
    assert result.amount == Decimal("4840")
    assert result.limiting == "formula" and result.caps_applied == []
