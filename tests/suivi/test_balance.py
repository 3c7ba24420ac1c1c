"""The balance formula (fonds.suivi.balance.compute_balance): pure, Decimal, rules as data.

Reference project (the factories' dossier): 8 young people + 2 leaders, 850 km by train (green
band 500–1,999 km: 417 €), 8 nights of which 4 hosted by families, 10,000 € of eligible costs.
Formula: T = 10 × 417 = 4,170; S = 4 × 10 × 25 = 1,000; O = 500 → 5,670 €. Approved 5,670 €,
advance 75 % = 4,252.50 €.
"""

from decimal import Decimal

import pytest

from fonds.referentiel.rules import default_rules
from fonds.suivi.balance import advance_amount, compute_balance

D = Decimal
PLAN = dict(
    approved=D("5670"),
    distance_km=850,
    low_carbon=True,
    youth=8,
    leaders=2,
    nights=8,
    nights_hosted=4,
    eligible_costs=D("10000"),
)


@pytest.fixture
def params():
    return default_rules()


def balance(params, **changes):
    return compute_balance(**{**PLAN, **changes}, params=params)


def test_balance_as_planned_is_approved_minus_advance(params):
    b = balance(params)
    assert b.formula_amount == D("5670") and b.final_grant == D("5670")
    assert b.advance == D("4252.50") and b.balance == D("1417.50") and not b.recovery


def test_balance_under_spend_limited_by_80pct_of_actual_eligible_costs(params):
    b = balance(params, eligible_costs=D("6000"))
    assert b.recomputed.limiting == "eligible" and b.final_grant == D("4800")
    assert b.balance == D("547.50") and not b.recovery


def test_balance_heavy_under_spend_is_negative_and_announces_recovery_order(params):
    b = balance(params, eligible_costs=D("5000"))
    assert b.final_grant == D("4000") and b.balance == D("-252.50") and b.recovery
    text = " ".join(b.lines)
    assert "ordre de reversement" in text and "procédure contradictoire" in text and "15 jours" in text


def test_balance_over_spend_is_capped_by_the_approved_amount(params):
    b = balance(params, eligible_costs=D("20000"), nights_hosted=0)
    assert b.formula_amount == D("6670")  # S = 8 × 10 × 25 = 2,000
    assert b.capped_by_approved and b.final_grant == D("5670") and b.balance == D("1417.50")


def test_balance_fewer_participants_recomputes_travel_and_stay(params):
    b = balance(params, youth=5, leaders=1)
    assert b.recomputed.travel == D("2502") and b.recomputed.stay == D("600")
    assert b.final_grant == D("3602") and b.balance == D("-650.50") and b.recovery


def test_balance_without_advance_is_the_whole_final_grant(params):
    b = balance(params, advance_paid=False)
    assert b.advance == 0 and b.balance == D("5670")
    assert "Aucune avance versée." in b.lines


def test_balance_reads_advance_pct_from_the_rules(params):
    params["payment"]["advance_pct"] = "50"
    b = balance(params)
    assert b.advance == D("2835.00") and b.balance == D("2835.00")


def test_balance_uses_the_advance_actually_paid_when_known(params):
    assert balance(params, advance=D("4000")).balance == D("1670")


def test_advance_rounds_down_to_the_cent():
    assert advance_amount(D("1001"), D("33.33")) == D("333.63")


def test_balance_ignores_the_award_floor(params):
    b = balance(params, youth=1, leaders=0, nights=0, nights_hosted=0, distance_km=None)
    assert b.final_grant == D("500") and b.balance == D(
        "-3752.50"
    )  # O only: the floor (1,000 €) is not applied
