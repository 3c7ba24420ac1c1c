"""Quorum and tally as pure functions (règlement "Committee", CRPA R133-10 / R133-12)."""

import dataclasses
from decimal import Decimal

import pytest

from fonds.comite.quorum import quorum, tally

M4 = ["a", "b", "c", "d"]
M5 = ["a", "b", "c", "d", "e"]


def test_quorum_half_members_present_or_represented_even_count():
    assert quorum(M4, ["a", "b"]).reached  # 2 of 4 = half
    assert not quorum(M4, ["a"]).reached


def test_quorum_boundary_odd_count_needs_more_than_half_a_member():
    assert not quorum(M5, ["a", "b"]).reached  # 2 < 2.5
    result = quorum(M5, ["a", "b", "c"])
    assert result.reached and result.required == Decimal("2.5")


def test_quorum_proxy_brings_boundary_over():
    assert not quorum(M5, ["a", "b"]).reached
    result = quorum(M5, ["a", "b"], {"c": "a"})
    assert result.reached and result.present == 2 and result.represented == 1


def test_quorum_proxy_counts_only_when_holder_present():
    result = quorum(M5, ["a", "b"], {"c": "d"})  # d absent
    assert not result.reached and result.represented == 0


def test_quorum_recused_members_do_not_count():
    # 5 members, 2 recused → 3 eligible, half = 1.5: 2 present among the eligible is enough
    assert quorum(M5, ["a", "b"], recused=["d", "e"]).reached
    # a recused member present does not count
    result = quorum(M5, ["a", "d"], recused=["d", "e"])
    assert not result.reached and result.present == 1 and result.eligible == 3


def test_quorum_holder_recused_does_not_represent_giver():
    result = quorum(M4, ["a"], {"b": "a"}, recused=["a"])
    assert result.represented == 0 and not result.reached


def test_quorum_recused_giver_not_represented():
    result = quorum(M4, ["a", "c"], {"b": "a"}, recused=["b"])
    assert result.represented == 0 and result.eligible == 3 and result.reached  # 2 ≥ 1.5


def test_quorum_not_needed_for_session_after_adjournment():
    assert quorum(M5, [], needs_quorum=False).reached


def test_quorum_nobody_eligible_is_not_reached():
    result = quorum(["a"], ["a"], recused=["a"])
    assert not result.reached and result.required_members == 0


def test_quorum_one_eligible_member_present_reaches_it():
    assert quorum(M4, ["a"], recused=["b", "c", "d"]).reached  # 1 of 1 eligible


def test_quorum_explanation_counts_present_and_represented_and_names_the_recused():
    result = quorum(M5, ["a", "b"], {"c": "a"}, recused=["e"])
    assert result.counted == 3
    assert result.explanation() == (
        "3 membre(s) présent(s) ou représenté(s) sur 4 membre(s) de la composition appelé(s) à "
        "délibérer (1 déporté(s)) ; il en faut au moins 2 : quorum atteint."
    )
    assert "déporté" not in quorum(M5, ["a", "b", "c"]).explanation()


def test_quorum_and_tally_results_cannot_be_altered_once_computed():
    with pytest.raises(dataclasses.FrozenInstanceError):
        quorum(M4, ["a"]).reached = True
    with pytest.raises(dataclasses.FrozenInstanceError):
        tally(["contre"]).adopted = True


def test_tally_majority_of_votes_cast_abstentions_excluded():
    result = tally(["pour", "pour", "contre", "abstention", "abstention", "abstention"])
    assert result.adopted and result.cast == 3 and result.abstention == 3
    assert not result.tie and not result.casting_vote
    assert result.explanation() == (
        "2 pour, 1 contre, 3 abstention(s) : adopté à la majorité des suffrages exprimés."
    )


def test_tally_more_contre_not_adopted():
    result = tally(["pour", "contre", "contre"], "pour")
    assert not result.adopted and not result.tie and not result.casting_vote
    assert result.explanation() == "1 pour, 2 contre, 0 abstention(s) : non adopté."


def test_tally_tie_chair_pour_decides_adoption():
    result = tally(["pour", "pour", "contre", "contre"], "pour")
    assert result.tie and result.casting_vote and result.adopted


def test_tally_tie_chair_pour_read_back_from_the_database_decides_adoption():
    """The chair's vote as stored (a string built at run time, not the module's constant)."""
    stored = "".join(["po", "ur"])
    assert tally(["pour", "contre"], stored).adopted


def test_tally_tie_chair_casting_vote_is_written_in_the_explanation():
    adopted = tally(["pour", "contre"], "pour").explanation()
    assert adopted == (
        "1 pour, 1 contre, 0 abstention(s) : partage des voix, la voix du président (pour) est "
        "prépondérante : adopté."
    )
    assert tally(["pour", "contre"], "contre").explanation().endswith("est prépondérante : non adopté.")


def test_tally_tie_chair_contre_decides_rejection():
    result = tally(["pour", "pour", "contre", "contre"], "contre")
    assert result.tie and result.casting_vote and not result.adopted


def test_tally_tie_chair_abstaining_gives_no_casting_vote():
    result = tally(["pour", "contre", "abstention"], "abstention")
    assert result.tie and not result.casting_vote and not result.adopted
    assert result.explanation() == (
        "1 pour, 1 contre, 1 abstention(s) : partage des voix sans voix prépondérante du président "
        "(abstention ou absence de vote) : non adopté."
    )


def test_tally_all_abstentions_not_adopted():
    result = tally(["abstention", "abstention"], "abstention")
    assert not result.adopted and not result.tie  # no vote cast: no tie for a casting vote to break
    assert result.explanation() == "0 pour, 0 contre, 2 abstention(s) : non adopté."


def test_tally_tie_chair_not_voting_gives_no_casting_vote():
    result = tally(["pour", "contre"], None)
    assert result.tie and not result.casting_vote and not result.adopted


def test_tally_unknown_choice_refused():
    with pytest.raises(ValueError):
        tally(["oui"])


def test_quorum_explanation_counts_whole_members_never_half_a_member():
    result = quorum(members={1}, present=set())
    assert result.required == Decimal("0.5")
    assert "il en faut au moins 1 :" in result.explanation()
    three = quorum(members={1, 2, 3}, present={1})
    assert "il en faut au moins 2 :" in three.explanation()
    assert "0,5" not in result.explanation() and "1,5" not in three.explanation()
