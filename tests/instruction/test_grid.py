"""The scoring grid of the règlement (pure functions of the campaign's scoring params)."""

import copy
import dataclasses
import json

import pytest
from django.http import QueryDict

from fonds.instruction import grid
from fonds.referentiel.rules import default_rules

FULL = {
    "participation": 25,
    "inclusion": 20,
    "quality": 20,
    "territorial": 15,
    "low_carbon": 10,
    "budget": 10,
}


@pytest.fixture
def params():
    return default_rules()


def test_grid_is_read_from_the_campaign_params(params):
    assert [c.code for c in grid.criteria(params)] == [
        "participation",
        "inclusion",
        "quality",
        "territorial",
        "low_carbon",
        "budget",
    ]
    assert grid.evaluate(FULL, params).max_total == 100
    changed = copy.deepcopy(params)
    changed["scoring"]["threshold_total"] = 70
    assert (
        grid.evaluate(
            {
                **FULL,
                "participation": 13,
                "inclusion": 10,
                "quality": 10,
                "territorial": 10,
                "low_carbon": 5,
                "budget": 5,
            },
            changed,
        ).suggestion
        == "unfavourable"
    )


def test_grid_threshold_60_total_is_favourable_59_is_not(params):
    sixty = {
        "participation": 15,
        "inclusion": 10,
        "quality": 10,
        "territorial": 10,
        "low_carbon": 5,
        "budget": 10,
    }
    assert grid.evaluate(sixty, params).total == 60
    assert grid.evaluate(sixty, params).suggestion == "favourable"
    fifty_nine = {**sixty, "participation": 14}
    result = grid.evaluate(fifty_nine, params)
    assert result.total == 59 and result.suggestion == "unfavourable"
    assert "seuil de 60" in result.reasons[0]


def test_grid_half_of_each_criterion_is_required_even_above_60(params):
    # 25/2 = 12.5: 12 points of participation is below half, whatever the total
    scores = {**FULL, "participation": 12}
    result = grid.evaluate(scores, params)
    assert (
        result.total == 87
        and result.below_minimum == ["participation"]
        and result.suggestion == "unfavourable"
    )
    assert grid.evaluate({**FULL, "participation": 13}, params).suggestion == "favourable"
    # 10/2 = 5: exactly half passes, one less fails
    assert grid.evaluate({**FULL, "budget": 5}, params).suggestion == "favourable"
    assert grid.evaluate({**FULL, "budget": 4}, params).below_minimum == ["budget"]


def test_grid_incomplete_gives_no_suggestion(params):
    result = grid.evaluate({**FULL, "quality": None}, params)
    assert result.missing == ["quality"] and result.suggestion is None and not result.complete
    assert not grid.opinion_consistent("favourable", result)


def test_grid_points_must_be_whole_and_within_the_criterion_max(params):
    crit = grid.criterion(params, "budget")
    assert grid.validate_points(crit, 10) == "" and grid.validate_points(crit, 0) == ""
    assert "de 0 à 10" in grid.validate_points(crit, 11)
    assert (
        grid.validate_points(crit, -1)
        and grid.validate_points(crit, 2.5)
        and grid.validate_points(crit, True)
    )


@pytest.mark.parametrize(
    "population, points",
    [(0, 15), (999, 15), (1000, 10), (1999, 10), (2000, 5), (3500, 5), (3501, 0), (None, 0)],
)
def test_territorial_points_at_the_band_edges(params, population, points):
    assert grid.territorial_points(population, False, params)[0] == points


@pytest.mark.parametrize(
    "population, points", [(999, 15), (1000, 15), (1999, 15), (2000, 10), (3500, 10), (3501, 5)]
)
def test_territorial_overseas_bonus_capped_at_the_criterion_max(params, population, points):
    value, text = grid.territorial_points(population, True, params)
    assert value == points
    assert "outre-mer" in text
    assert ("Plafonné" in text) == (population < 1000)  # 15 + 5 capped at 15; 10 + 5 = 15 is not


def test_territorial_bands_and_bonus_come_from_the_params(params):
    params["scoring"]["overseas_bonus"] = 3
    params["scoring"]["territorial_bands"] = [{"below": 500, "points": 12}]
    assert grid.territorial_points(499, False, params)[0] == 12
    assert grid.territorial_points(499, True, params)[0] == 15
    assert grid.territorial_points(500, True, params)[0] == 3


# ---- the automatic territorial criterion ranks but never excludes ------------------------------


def test_grid_territorial_criterion_has_no_threshold(params):
    """A metropolitan commune of 2,000–3,500 inhabitants gets 5/15 (below half): still favourable."""
    points, _ = grid.territorial_points(2500, False, params)
    assert points == 5
    result = grid.evaluate({**FULL, "territorial": points}, params)
    assert result.below_minimum == [] and result.suggestion == "favourable" and result.total == 90
    # even 0 points (a population above the bands) never excludes by itself
    assert grid.evaluate({**FULL, "territorial": 0}, params).suggestion == "favourable"


def test_grid_territorial_points_still_count_in_the_total(params):
    """No minimum of its own, but its points make the total: 45 + 15 = 60 passes, 45 + 5 does not."""
    manual = {"participation": 15, "inclusion": 10, "quality": 10, "low_carbon": 5, "budget": 5}
    assert sum(manual.values()) == 45
    small = grid.evaluate({**manual, "territorial": 15}, params)
    assert small.total == 60 and small.suggestion == "favourable"
    larger = grid.evaluate({**manual, "territorial": 5}, params)
    assert larger.total == 50 and larger.suggestion == "unfavourable" and larger.below_minimum == []


def test_grid_automatic_criterion_shows_no_minimum(params):
    result = grid.evaluate({**FULL, "territorial": 5}, params)
    territorial = next(r for r in result.results if r.criterion.code == "territorial")
    budget = next(r for r in result.results if r.criterion.code == "budget")
    assert not territorial.has_minimum and territorial.meets_minimum is None
    assert budget.has_minimum and budget.min_points == 5


def test_grid_below_threshold_opinion_refusal_names_the_criteria_and_the_total(params):
    low = grid.evaluate({**FULL, "budget": 4, "inclusion": 9}, params)
    refusal = grid.opinion_refusal("favourable", low)
    assert "Réalisme du budget" in refusal and "Inclusion" in refusal and "défavorable" in refusal
    assert grid.opinion_refusal("unfavourable", low) == ""
    # the opinion as a submitted form sends it (equal to the constant, not the same object)
    assert grid.opinion_refusal(QueryDict("opinion=favourable")["opinion"], low) == refusal
    under_60 = grid.evaluate(
        {"participation": 13, "inclusion": 10, "quality": 10, "territorial": 5, "low_carbon": 5, "budget": 5},
        params,
    )
    assert under_60.total == 48 and "seuil de 60" in grid.opinion_refusal("favourable", under_60)
    assert grid.opinion_refusal("favourable", grid.evaluate(FULL, params)) == ""


# ---- rules the mutation run (issue 24) found unstated ------------------------------------------


def test_grid_incomplete_lists_every_criterion_without_points(params):
    """Every unscored criterion is named (not only the first), and 0 points is a score."""
    result = grid.evaluate({**FULL, "inclusion": None, "budget": None, "low_carbon": 0}, params)
    assert result.missing == ["inclusion", "budget"]
    assert [r.criterion.code for r in result.results if not r.scored] == ["inclusion", "budget"]
    assert result.total == 25 + 20 + 15 + 0


def test_grid_opinion_consistent_only_with_the_suggestion_of_a_complete_grid(params):
    favourable = grid.evaluate(FULL, params)
    assert grid.opinion_consistent("favourable", favourable)
    assert not grid.opinion_consistent("unfavourable", favourable)
    unfavourable = grid.evaluate({**FULL, "budget": 4}, params)
    assert grid.opinion_consistent("unfavourable", unfavourable)
    assert not grid.opinion_consistent("favourable", unfavourable)
    # the opinion as a submitted form sends it: equal to the suggestion, not the same object
    posted = QueryDict("opinion=favourable")["opinion"]
    assert posted is not grid.FAVOURABLE and grid.opinion_consistent(posted, favourable)


def test_grid_total_below_the_threshold_is_a_reason_only_once_complete(params):
    """A partial total is no reason yet (the missing points may still come); a favourable grid has none."""
    assert grid.evaluate(FULL, params).reasons == []
    partial = {"participation": 13, "inclusion": 10, "quality": 10, "territorial": 5, "budget": 5}
    incomplete = grid.evaluate(partial, params)
    assert incomplete.total == 43 and incomplete.below_minimum == [] and incomplete.reasons == []
    assert not incomplete.below_thresholds


def test_grid_incomplete_refuses_no_opinion_yet(params):
    """Only a complete grid below the thresholds makes a favourable opinion impossible."""
    incomplete = grid.evaluate({"participation": 5, "budget": 1}, params)
    assert grid.opinion_refusal("favourable", incomplete) == ""


def test_territorial_overseas_bonus_is_zero_when_the_params_give_none(params):
    del params["scoring"]["overseas_bonus"]
    assert grid.territorial_points(2500, True, params)[0] == 5
    assert grid.territorial_points(3501, True, params)[0] == 0


def test_grid_criterion_without_the_automatic_flag_is_scored_by_the_instructor(params):
    for c in params["scoring"]["criteria"]:
        if c["code"] == "budget":
            del c["automatic"]
    budget = grid.criterion(params, "budget")
    assert budget.automatic is False and grid.min_points(budget, params) == 5
    assert grid.min_points(grid.Criterion("budget", "Réalisme du budget", 10), params) == 5
    assert grid.evaluate({**FULL, "budget": 4}, params).below_minimum == ["budget"]


def test_grid_criteria_of_the_campaign_cannot_be_altered_once_read(params):
    budget = grid.criterion(params, "budget")
    with pytest.raises(dataclasses.FrozenInstanceError):
        budget.max = 20


def test_grid_read_from_the_params_as_stored_in_the_database(params):
    """The campaign's rules come back from a JSON column: its codes are equal strings, not the same
    objects as the module's constants."""
    stored = json.loads(json.dumps(params))
    assert grid.criterion(stored, "budget").max == 10
    assert grid.territorial_points(999, True, stored) == (
        15,
        "999\u00a0habitants (moins de 1\u00a0000) : 15 points. Commune d'outre-mer : +5 points. "
        "Plafonné au maximum du critère (15).",
    )
