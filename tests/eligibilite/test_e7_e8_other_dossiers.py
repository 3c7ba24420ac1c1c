"""E7 — one live dossier per commune and campaign; E8 — no overdue final report elsewhere."""

import datetime as dt

import pytest

from fonds.dossiers.states import Status
from tests.factories import make_campaign, make_commune, make_dossier

from .conftest import AT, check, set_status


def _other(dossier, campaign=None, commune=None):
    return make_dossier(
        campaign=campaign or dossier.campaign,
        commune=commune or dossier.commune,
        porteur=dossier.created_by,
        complete=False,
    )


def test_e7_alone_passes(dossier):
    outcome = check("E7", dossier)
    assert outcome.result == "pass"
    assert outcome.data == {"other_live_dossiers": []}


def test_e7_other_draft_does_not_block(dossier):
    _other(dossier)  # a forgotten draft of the same commune
    assert check("E7", dossier).result == "pass"


@pytest.mark.parametrize(
    "status",
    [
        Status.SUBMITTED,
        Status.IN_INSTRUCTION,
        Status.CORRECTIONS_REQUESTED,
        Status.APPROVED,
        Status.ADVANCE_PAID,
    ],
)
def test_e7_other_submitted_dossier_blocks(dossier, status):
    other = set_status(_other(dossier), status)
    outcome = check("E7", dossier)
    assert outcome.result == "fail"
    assert outcome.data["other_live_dossiers"] == [{"reference": other.reference, "status": status.value}]
    assert other.reference in outcome.explanation


@pytest.mark.parametrize("status", [Status.WITHDRAWN, Status.CLOSED_WITHOUT_FOLLOW_UP, Status.CLOSED])
def test_e7_withdrawn_or_closed_dossier_does_not_block(dossier, status):
    set_status(_other(dossier), status)
    assert check("E7", dossier).result == "pass"


def test_e7_ineligible_dossier_does_not_block(dossier):
    """A dossier declared ineligible (irrecevable) leaves the commune free to submit a proper one."""
    set_status(_other(dossier), Status.INELIGIBLE)
    assert check("E7", dossier).result == "pass"


def test_e7_rejected_dossier_blocks_a_new_one(dossier):
    """One decision per commune and campaign: a refusal is a decision."""
    other = set_status(_other(dossier), Status.REJECTED)
    outcome = check("E7", dossier)
    assert outcome.result == "fail"
    assert f"{other.reference} (refusé)" in outcome.explanation
    assert "prochain appel" in outcome.how_to_fix and "retirez" not in outcome.how_to_fix


def test_e7_lapsed_dossier_blocks_a_new_one(dossier):
    set_status(_other(dossier), Status.LAPSED)
    assert check("E7", dossier).result == "fail"


def test_e7_dossier_in_progress_can_be_withdrawn_to_submit_another(dossier):
    set_status(_other(dossier), Status.IN_INSTRUCTION)
    assert "retirez-le" in check("E7", dossier).how_to_fix


def test_e7_every_status_outside_the_non_blocking_list_blocks(dossier):
    """Written as an exclusion: a status added to the machine (e.g. « renoncé ») blocks by default."""
    from fonds.eligibilite.rules.campaign import E7_NON_BLOCKING

    assert E7_NON_BLOCKING == {
        Status.DRAFT,
        Status.WITHDRAWN,
        Status.CLOSED_WITHOUT_FOLLOW_UP,
        Status.INELIGIBLE,
        Status.CLOSED,
    }
    other = _other(dossier)
    for status in Status:
        set_status(other, status)
        expected = "pass" if status in E7_NON_BLOCKING else "fail"
        assert check("E7", dossier).result == expected, status


def test_e7_other_commune_or_other_campaign_does_not_block(dossier):
    set_status(_other(dossier, commune=make_commune()), Status.SUBMITTED)
    set_status(_other(dossier, campaign=make_campaign()), Status.SUBMITTED)
    assert check("E7", dossier).result == "pass"


def test_e7_the_dossier_itself_is_not_counted(dossier):
    set_status(dossier, Status.SUBMITTED)
    assert check("E7", dossier).result == "pass"


def test_e8_no_history_passes(dossier):
    outcome = check("E8", dossier)
    assert outcome.result == "pass"
    assert outcome.data["date"] == "2030-02-15"


def test_e8_overdue_report_of_earlier_campaign_fails(dossier):
    earlier = make_campaign(year=2029)
    old = set_status(_other(dossier, campaign=earlier), Status.ADVANCE_PAID, report_due=dt.date(2030, 2, 14))
    outcome = check("E8", dossier)
    assert outcome.result == "fail"
    assert outcome.data["overdue_reports"] == [{"reference": old.reference, "report_due": "2030-02-14"}]
    assert "14/02/2030" in outcome.explanation


def test_e8_report_due_today_is_not_overdue(dossier):
    set_status(_other(dossier, campaign=make_campaign(year=2029)), Status.ADVANCE_PAID, report_due=AT.date())
    assert check("E8", dossier).result == "pass"


def test_e8_report_filed_does_not_block(dossier):
    set_status(
        _other(dossier, campaign=make_campaign(year=2029)),
        Status.REPORT_SUBMITTED,
        report_due=dt.date(2029, 12, 1),
    )
    assert check("E8", dossier).result == "pass"


def test_e8_other_commune_overdue_does_not_block(dossier):
    set_status(
        _other(dossier, campaign=make_campaign(year=2029), commune=make_commune()),
        Status.ADVANCE_PAID,
        report_due=dt.date(2029, 12, 1),
    )
    assert check("E8", dossier).result == "pass"


def test_e8_same_campaign_is_not_an_earlier_campaign(dossier):
    set_status(_other(dossier), Status.ADVANCE_PAID, report_due=dt.date(2029, 12, 1))
    assert check("E8", dossier).result == "pass"  # E7's business, not E8's


# ---- E7 before any step: the « Nouveau dossier » gate (fonds.eligibilite.gate) -------------------


def test_e7_new_dossier_allowed_when_nothing_of_the_commune_blocks(dossier):
    """The commune's own draft and its withdrawn dossier do not block a new one; neither does a
    live dossier of another commune or of another campaign."""
    from fonds.eligibilite.gate import check_new_dossier, new_dossier_gate

    set_status(_other(dossier), Status.WITHDRAWN)
    set_status(_other(dossier, commune=make_commune()), Status.SUBMITTED)
    set_status(_other(dossier, campaign=make_campaign()), Status.SUBMITTED)
    gate = new_dossier_gate(dossier.commune_id, dossier.campaign)  # ``dossier`` itself is a draft
    assert gate.allowed and gate.blocking == ()
    assert (gate.reason, gate.how_to_fix, gate.message) == ("", "", "")
    check_new_dossier(dossier.commune_id, dossier.campaign)  # no refusal


def test_e7_new_dossier_refused_with_e7_text_while_a_dossier_of_the_commune_is_live(dossier):
    from fonds.dossiers.services import TransitionRefused
    from fonds.eligibilite.gate import Blocking, check_new_dossier, new_dossier_gate
    from fonds.eligibilite.rules.campaign import e7_texts

    live = set_status(_other(dossier), Status.SUBMITTED)
    gate = new_dossier_gate(dossier.commune_id, dossier.campaign)
    assert not gate.allowed
    assert gate.blocking == (Blocking(live.pk, live.reference, "submitted"),)
    assert gate.blocking[0].status_label == "déposé"
    explanation, how_to_fix = e7_texts([(live.reference, "submitted")])
    assert (gate.reason, gate.how_to_fix) == (explanation, how_to_fix)
    assert "retirez-le" in gate.how_to_fix  # a submitted dossier can still be withdrawn
    assert gate.message == (
        f"Nouveau dossier impossible dans « {dossier.campaign.name} » : {explanation} {how_to_fix}"
    )
    with pytest.raises(TransitionRefused) as refused:
        check_new_dossier(dossier.commune_id, dossier.campaign)
    refusal = refused.value
    assert (refusal.kind, refusal.message, refusal.rules) == ("condition", gate.message, ["E7"])


def test_e7_new_dossier_gate_names_the_ten_oldest_blocking_dossiers(dossier):
    """As E7's verdict: at most ten other dossiers named, oldest first."""
    from fonds.eligibilite.gate import new_dossier_gate

    others = [set_status(_other(dossier), Status.SUBMITTED) for _ in range(11)]
    gate = new_dossier_gate(dossier.commune_id, dossier.campaign)
    assert [b.pk for b in gate.blocking] == [o.pk for o in others[:10]]


def test_e7_new_dossier_gates_of_several_campaigns_in_one_query(dossier, django_assert_num_queries):
    from fonds.eligibilite.gate import gates_for

    free, taken = make_campaign(), dossier.campaign
    set_status(_other(dossier), Status.APPROVED)
    with django_assert_num_queries(1):
        gates = gates_for(dossier.commune_id, [taken, free])
    assert [(g.campaign, g.allowed) for g in gates] == [(taken, False), (free, True)]
    assert "prochain appel" in gates[0].how_to_fix  # a decided dossier cannot be withdrawn
    with django_assert_num_queries(0):  # no commune (a user without one) or no campaign: no query
        assert [g.allowed for g in gates_for(None, [taken])] == [True]
        assert gates_for(dossier.commune_id, []) == []


def test_e7_new_dossier_gate_cannot_be_altered_once_computed(dossier):
    import dataclasses

    from fonds.eligibilite.gate import new_dossier_gate

    set_status(_other(dossier), Status.SUBMITTED)
    gate = new_dossier_gate(dossier.commune_id, dossier.campaign)
    with pytest.raises(dataclasses.FrozenInstanceError):
        gate.blocking = ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        gate.blocking[0].status = "withdrawn"


def test_e7_a_status_added_later_blocks_and_is_named_by_its_code(dossier):
    """E7 is written as an exclusion: a status unknown to this module blocks, shown as stored."""
    set_status(_other(dossier), "renounced_later")
    outcome = check("E7", dossier)
    assert outcome.result == "fail"
    assert "(renounced_later)" in outcome.explanation
