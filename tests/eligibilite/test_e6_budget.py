"""E6 — own share ≥ 10 % of the budget; request ≤ 80 % of eligible costs, 1,000–15,000 €."""

import pytest

from .conftest import check, set_budget, with_params


def test_e6_default_budget_passes(dossier):
    outcome = check("E6", dossier)
    assert outcome.result == "pass"
    assert outcome.data["total_budget"] == "10000.00"
    assert outcome.data["eligible_costs"] == "10000.00"
    assert outcome.data["own_share"] == "2000.00"
    assert outcome.explanation == (
        "Part de la commune 2\u00a0000\u00a0€ sur 10\u00a0000\u00a0€ ; montant demandé 6\u00a0000\u00a0€."
    )


def test_e6_own_share_exactly_10pct_passes(dossier):
    set_budget(dossier, expenses=[("10000", True)], own_share="1000", requested="5000")
    assert check("E6", dossier).result == "pass"


def test_e6_own_share_below_10pct(dossier):
    set_budget(dossier, expenses=[("10000", True)], own_share="999.99", requested="5000")
    outcome = check("E6", dossier)
    assert outcome.result == "fail"
    assert "part de la commune" in outcome.explanation.lower()
    assert "1\u00a0000\u00a0€" in outcome.how_to_fix


def test_e6_own_share_counts_against_total_including_ineligible_costs(dossier):
    set_budget(dossier, expenses=[("9000", True), ("1000", False)], own_share="999", requested="5000")
    outcome = check("E6", dossier)
    assert outcome.result == "fail"
    assert outcome.data["total_budget"] == "10000.00"


def test_e6_request_at_exactly_80pct_passes(dossier):
    set_budget(dossier, expenses=[("10000", True)], own_share="2000", requested="8000")
    assert check("E6", dossier).result == "pass"


def test_e6_request_above_80pct_fails(dossier):
    set_budget(dossier, expenses=[("10000", True)], own_share="2000", requested="8000.01")
    outcome = check("E6", dossier)
    assert outcome.result == "fail"
    assert outcome.data["max_request_from_eligible"] == "8000.00"
    assert (
        "dépasse 80\u00a0% des dépenses éligibles (10\u00a0000\u00a0€), soit 8\u00a0000\u00a0€."
        in outcome.explanation
    )
    assert outcome.how_to_fix.startswith("Demandez au plus 8\u00a0000\u00a0€, ou complétez")


def test_e6_ineligible_expenses_do_not_raise_the_80pct_limit(dossier):
    set_budget(dossier, expenses=[("10000", True), ("5000", False)], own_share="2000", requested="8000.01")
    outcome = check("E6", dossier)
    assert outcome.result == "fail"
    assert outcome.data["eligible_costs"] == "10000.00"
    assert outcome.data["total_budget"] == "15000.00"


def test_e6_request_1000_passes(dossier):
    set_budget(dossier, expenses=[("5000", True)], own_share="1000", requested="1000")
    assert check("E6", dossier).result == "pass"


def test_e6_request_999_99_fails(dossier):
    set_budget(dossier, expenses=[("5000", True)], own_share="1000", requested="999.99")
    outcome = check("E6", dossier)
    assert outcome.result == "fail"
    assert "999,99" in outcome.explanation


def test_e6_request_15000_passes(dossier):
    set_budget(dossier, expenses=[("20000", True)], own_share="2000", requested="15000")
    assert check("E6", dossier).result == "pass"


def test_e6_request_15000_01_fails(dossier):
    set_budget(dossier, expenses=[("20000", True)], own_share="2000", requested="15000.01")
    outcome = check("E6", dossier)
    assert outcome.result == "fail"
    assert "15\u00a0000" in outcome.explanation


def test_e6_no_expense_fails(dossier):
    set_budget(dossier, expenses=[], own_share="0", requested="5000")
    outcome = check("E6", dossier)
    assert outcome.result == "fail"
    assert "Le budget ne comporte aucune dépense." in outcome.explanation


def test_e6_budget_of_one_euro_is_judged_on_its_own_share(dossier):
    """A budget with expenses, however small, is not an empty budget: its own share is checked."""
    set_budget(dossier, expenses=[("1", True)], own_share="0.09", requested="1000")
    outcome = check("E6", dossier)
    assert outcome.result == "fail"
    assert "aucune dépense" not in outcome.explanation
    assert "La part de la commune (0,09\u00a0€) est inférieure à 10\u00a0%" in outcome.explanation


def test_e6_missing_request_fails(dossier):
    from fonds.dossiers.models import Dossier

    Dossier.objects.filter(pk=dossier.pk).update(requested_amount=None)
    outcome = check("E6", dossier)
    assert outcome.result == "fail"
    assert outcome.data["requested_amount"] is None


def test_e6_several_problems_all_reported(dossier):
    set_budget(dossier, expenses=[("1000", True)], own_share="0", requested="900")
    outcome = check("E6", dossier)
    assert outcome.result == "fail"
    assert "part de la commune" in outcome.explanation.lower()
    assert "minimum" in outcome.explanation


def test_e6_own_share_percentage_is_data(dossier):
    set_budget(dossier, expenses=[("10000", True)], own_share="1000", requested="5000")
    ruleset = with_params(dossier, min_own_share_pct="12.5")
    outcome = check("E6", dossier, ruleset=ruleset)
    assert outcome.result == "fail"
    assert "12,5\u00a0%" in outcome.explanation


def test_e6_own_share_percentage_of_the_total_budget_is_recorded(dossier):
    """Only the income lines of the « part de la commune » category are the own share."""
    set_budget(
        dossier,
        expenses=[("8000", True), ("2000", False)],
        own_share="1234.56",
        other_income="765.44",
        requested="5000",
    )
    outcome = check("E6", dossier)
    assert outcome.result == "pass"
    assert outcome.data["own_share"] == "1234.56"  # not the other funders' 765.44
    assert outcome.data["own_share_pct"] == "12.35"  # 1,234.56 of 10,000, to the hundredth
    assert outcome.data["total_income"] == "2000.00"  # own share and other funders


def test_e6_budget_lines_loaded_by_the_caller_count_as_the_stored_ones(dossier):
    """The what-if hands E6 the budget lines it loaded itself (``rules.base.LOADED``): every income
    line counts, the own share among them, as with the lines read from the database."""
    from decimal import Decimal

    from fonds.dossiers.models import BudgetLine, Dossier
    from fonds.eligibilite.rules import REGISTRY
    from fonds.eligibilite.rules.base import LOADED

    from .conftest import AT

    fresh = Dossier.objects.get(pk=dossier.pk)
    lines = [
        BudgetLine(kind="expense", category="travel", amount=Decimal("10000"), eligible=True),
        BudgetLine(kind="income", category="own_share", amount=Decimal("1000")),
        BudgetLine(kind="income", category="other_funder", amount=Decimal("500")),
    ]
    setattr(fresh, LOADED, {"budget_lines": lines, "documents": []})
    outcome = REGISTRY["E6"](fresh, fresh.campaign.rules, at=AT)
    assert outcome.result == "pass"
    assert (outcome.data["own_share"], outcome.data["total_income"]) == ("1000", "1500")


def test_e6_request_floor_is_campaign_data_a_zero_floor_lets_a_zero_request_pass(dossier):
    set_budget(dossier, expenses=[("10000", True)], own_share="2000", requested="0")
    outcome = check("E6", dossier, ruleset=with_params(dossier, min_request="0"))
    assert outcome.result == "pass"
    assert outcome.explanation.endswith("montant demandé 0\u00a0€.")


def test_e6_budget_figures_cannot_be_altered_once_computed(dossier):
    """The totals E6 judges (and the instruction's amount reads) are a frozen record."""
    import dataclasses

    from fonds.eligibilite.rules.budget import budget_figures

    figures = budget_figures(dossier)
    with pytest.raises(dataclasses.FrozenInstanceError):
        figures.own_share = figures.total
