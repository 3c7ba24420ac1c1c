from fonds.accounts.roles import Role
from fonds.dossiers.services import transition_names
from fonds.ui.templatetags.fjj import TRANSITION_EVENTS, action_label, role_label


def test_every_transition_has_a_french_past_tense_label():
    assert set(TRANSITION_EVENTS) == set(transition_names())
    assert action_label("submit") == "Dossier déposé"


def test_unknown_action_is_shown_as_is_and_roles_in_french():
    assert action_label("payment_exported") == "payment_exported"
    assert role_label("comite") == "Membre du comité" and role_label("") == "Système"


def test_every_role_written_in_the_trail_has_a_french_label():
    """The roles the audit trail records (accounts' roles, the committee's sitting roles, the
    system): none reaches a page as a code such as « president_suppleant »."""
    for role in [*Role.values, "president", "president_suppleant", "system", ""]:
        label = role_label(role)
        assert label and "_" not in label and label != role, role
    assert role_label("president_suppleant") == "Président suppléant de séance"
