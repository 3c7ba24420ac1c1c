"""E4 — at least 5 young people aged 13–30; leaders aged ≥ 18, 1 per 10 young people."""

from fonds.dossiers.models import Dossier

from .conftest import check


def _people(dossier, youth, leaders):
    Dossier.objects.filter(pk=dossier.pk).update(youth_ages=youth, leader_ages=leaders)


def test_e4_default_group_passes(dossier):
    assert check("E4", dossier).result == "pass"


def test_e4_four_youth_fails(dossier):
    _people(dossier, [15, 15, 16, 16], [30])
    outcome = check("E4", dossier)
    assert outcome.result == "fail"
    assert outcome.data["youth_count"] == 4


def test_e4_five_youth_passes(dossier):
    _people(dossier, [15, 15, 16, 16, 17], [30])
    assert check("E4", dossier).result == "pass"


def test_e4_youth_aged_13_passes(dossier):
    _people(dossier, [13, 15, 16, 16, 17], [30])
    assert check("E4", dossier).result == "pass"


def test_e4_youth_aged_12_fails(dossier):
    _people(dossier, [12, 15, 16, 16, 17], [30])
    outcome = check("E4", dossier)
    assert outcome.result == "fail"
    assert outcome.data["youth_out_of_range"] == [12]


def test_e4_youth_aged_30_passes(dossier):
    _people(dossier, [30, 15, 16, 16, 17], [30])
    assert check("E4", dossier).result == "pass"


def test_e4_youth_aged_31_fails(dossier):
    _people(dossier, [31, 15, 16, 16, 17], [30])
    assert check("E4", dossier).result == "fail"


def test_e4_leader_aged_17_fails(dossier):
    _people(dossier, [15, 15, 16, 16, 17], [17])
    outcome = check("E4", dossier)
    assert outcome.result == "fail"
    assert outcome.data["leaders_under_age"] == [17]


def test_e4_leader_aged_18_passes(dossier):
    _people(dossier, [15, 15, 16, 16, 17], [18])
    assert check("E4", dossier).result == "pass"


def test_e4_10_youth_need_1_leader(dossier):
    _people(dossier, [15] * 10, [40])
    outcome = check("E4", dossier)
    assert outcome.result == "pass"
    assert outcome.data["required_leaders"] == 1


def test_e4_11_youth_need_2_leaders(dossier):
    _people(dossier, [15] * 11, [40])
    outcome = check("E4", dossier)
    assert outcome.result == "fail"
    assert outcome.data["required_leaders"] == 2
    assert "Ajoutez 1 accompagnateur(s) adulte(s)." in outcome.how_to_fix
    _people(dossier, [15] * 11, [40, 25])
    assert check("E4", dossier).result == "pass"


def test_e4_no_leader_fails(dossier):
    _people(dossier, [15] * 5, [])
    assert check("E4", dossier).result == "fail"


def test_e4_non_integer_age_fails(dossier):
    _people(dossier, [15, 15, 16, 16, "seize"], [30])
    outcome = check("E4", dossier)
    assert outcome.result == "fail"
    assert outcome.data["invalid_ages"] == 1


def test_e4_ages_typed_as_text_count_when_whole_numbers(dossier):
    """An age typed in the form (« 16 », « 17.0 ») is a whole number of years; 15.5 or 16.25 is not
    an age in years; a yes/no answer is not an age."""
    _people(dossier, ["15", " 16 ", "17.0", 15, 16], ["30"])
    outcome = check("E4", dossier)
    assert outcome.result == "pass" and outcome.data["invalid_ages"] == 0
    _people(dossier, ["15.5", "16.25", 16, 16, 17], [30, True])
    outcome = check("E4", dossier)
    assert outcome.result == "fail" and outcome.data["invalid_ages"] == 3
    assert outcome.data["youth_count"] == 5 and outcome.data["youth_out_of_range"] == []


def test_e4_leader_ratio_is_campaign_data_zero_means_no_ratio(dossier):
    """``youth_per_leader`` 0: no minimum number of leaders; those declared are still adults."""
    from .conftest import with_params

    _people(dossier, [15] * 12, [])
    outcome = check("E4", dossier, ruleset=with_params(dossier, youth_per_leader=0))
    assert outcome.result == "pass" and outcome.data["required_leaders"] == 0


def test_e4_one_leader_per_young_person_when_the_campaign_says_so(dossier):
    from .conftest import with_params

    _people(dossier, [15] * 5, [30, 30, 30, 30])
    outcome = check("E4", dossier, ruleset=with_params(dossier, youth_per_leader=1))
    assert outcome.result == "fail" and outcome.data["required_leaders"] == 5
