"""Grant amount: an award always lies within 1,000–15,000 € and the formula's caps (80 % of
eligible costs, requested amount, T + S + O) — wherever the instructor sets an amount."""

import dataclasses
from decimal import Decimal

import pytest

from fonds.administration import parameters
from fonds.administration.versions import MOVE, publish_version
from fonds.audit.models import AuditEvent
from fonds.dossiers.models import BudgetLine, Dossier
from fonds.dossiers.services import TransitionRefused, perform
from fonds.dossiers.states import Status
from fonds.instruction import services
from fonds.instruction.amount import (
    AwardBounds,
    award_bounds,
    award_refusal,
    check_award_amount,
    compute_grant,
    grant_for_dossier,
)
from fonds.instruction.models import AmountProposal
from tests.factories import make_user

from .conftest import scores

pytestmark = pytest.mark.django_db

# the world's dossier: 10 travellers, 850 km declared, low-carbon (417 €), 4 nights paid, 6,000 €
# requested, 10,000 € eligible: T + S + O = 4,170 + 1,000 + 500 = 5,670 €
FORMULA = Decimal("5670")


def _big(world):
    """The world's dossier made large: 44 travellers at 8,500 km, 40,000 € eligible, 20,000 €
    requested — only the fund's 15,000 € cap binds."""
    dossier = world["dossier"]
    Dossier.objects.filter(pk=dossier.pk).update(
        youth_ages=[16] * 40,
        leader_ages=[40] * 4,
        distance_km=8500,
        requested_amount=Decimal("20000"),
    )
    BudgetLine.objects.create(
        dossier=dossier, kind="expense", category="travel", amount=Decimal("30000"), eligible=True
    )
    dossier.refresh_from_db()
    return dossier


# ---- the pure function -------------------------------------------------------------------------


def test_amount_bounds_are_the_floor_and_the_smallest_cap(params):
    breakdown = compute_grant(
        distance_km=850,
        low_carbon=True,
        youth=8,
        leaders=2,
        nights=8,
        nights_hosted=4,
        eligible_costs="10000",
        requested="6000",
        params=params,
    )
    bounds = award_bounds(breakdown)
    assert tuple(bounds) == (Decimal("1000"), FORMULA)  # unpacks as (minimum, maximum)
    assert bounds.limits == {
        "cap": Decimal("15000"),
        "eligible": Decimal("8000"),
        "requested": Decimal("6000"),
        "formula": FORMULA,
    }
    assert bounds.maximum == breakdown.grant and bounds.possible


def test_amount_bounds_impossible_when_the_caps_fall_below_the_floor(params):
    breakdown = compute_grant(
        distance_km=None,
        low_carbon=False,
        youth=5,
        leaders=1,
        nights=0,
        nights_hosted=0,
        eligible_costs="10000",
        requested="6000",
        params=params,
    )
    bounds = award_bounds(breakdown)
    assert bounds.maximum == Decimal("500") and not bounds.possible
    assert "aucune subvention" in award_refusal(Decimal("500"), bounds)
    assert award_refusal(Decimal("0"), bounds, zero_allowed=True) == ""


def test_amount_check_refuses_in_french_with_rule_amount():
    bounds = AwardBounds(
        Decimal("1000"), Decimal("9850"), {"cap": Decimal("15000"), "requested": Decimal("9850")}
    )
    assert check_award_amount("9850", bounds) == Decimal("9850") and check_award_amount(
        Decimal("1000"), bounds
    ) == Decimal("1000")
    for amount, text in (
        ("50000", "ne peut dépasser 9\u00a0850\u00a0€"),
        ("20000", "montant demandé 9\u00a0850\u00a0€"),
        ("900", "n'est pas attribuée"),
        ("0", "n'est pas une subvention"),
        ("abc", "invalide"),
        ("-5", "invalide"),
    ):
        with pytest.raises(TransitionRefused) as refused:
            check_award_amount(amount, bounds)
        assert (
            refused.value.kind == "condition"
            and refused.value.rules == ["amount"]
            and text in refused.value.message
        ), amount
    assert check_award_amount("0", bounds, zero_allowed=True) == 0


def test_amount_bounds_of_a_dossier_use_the_given_rule_version(world):
    params = world["campaign"].rules.params
    assert award_bounds(world["dossier"]).maximum == FORMULA
    lower = {**params, "amount": {**params["amount"], "cap": "3000"}}
    assert award_bounds(world["dossier"], lower).maximum == Decimal("3000")


# ---- the proposal ---------------------------------------------------------------------------------


def test_amount_proposal_above_15000_refused(world):
    dossier = _big(world)
    assert award_bounds(dossier).maximum == Decimal("15000") and grant_for_dossier(dossier).limiting == "cap"
    with pytest.raises(TransitionRefused) as refused:
        services.propose_amount(
            dossier, by=world["instructeur"], amount="15001", motivation="Projet exceptionnel."
        )
    assert (
        "ne peut dépasser 15\u00a0000\u00a0€" in refused.value.message
        and "plafond du fonds" in refused.value.message
    )
    assert services.propose_amount(dossier, by=world["instructeur"], amount="15000").amount == Decimal(
        "15000"
    )
    assert AmountProposal.objects.count() == 1


def test_amount_proposal_above_the_formula_total_refused(world):
    """T + S + O is a cap too: an amendment may lower the formula's amount, never raise it."""
    with pytest.raises(TransitionRefused) as refused:
        services.propose_amount(
            world["dossier"], by=world["instructeur"], amount=str(FORMULA + 1), motivation="Un peu plus."
        )
    assert "formule T + S + O 5\u00a0670\u00a0€" in refused.value.message
    lower = services.propose_amount(
        world["dossier"], by=world["instructeur"], amount="4500", motivation="Une nuitée de moins."
    )
    assert lower.amount == Decimal("4500") and lower.amended
    assert '"bounds":{"limits":' in AuditEvent.objects.filter(action="amount_proposed").last().canonical


def test_amount_proposal_below_1000_refused_zero_means_no_grant(world):
    with pytest.raises(TransitionRefused, match="n'est pas attribuée"):
        services.propose_amount(world["dossier"], by=world["instructeur"], amount="999", motivation="Moins.")
    assert (
        services.propose_amount(
            world["dossier"], by=world["instructeur"], amount="0", motivation="Rien."
        ).amount
        == 0
    )


# ---- complete_instruction's proposed amount ----------------------------------------------------


def _complete(world, data, motivation=""):
    perform(
        world["dossier"], "complete_instruction", by=world["instructeur"], data=data, motivation=motivation
    )
    world["dossier"].refresh_from_db()
    return world["dossier"]


def _refused(world, data):
    with pytest.raises(TransitionRefused) as refused:
        _complete(world, data)
    assert world["dossier"].status == Status.IN_INSTRUCTION
    return refused.value


def test_amount_complete_instruction_proposed_amount_outside_bounds_refused(world):
    services.record_scores(world["dossier"], by=world["instructeur"], scores=scores())
    for amount in ("50000", "15001", str(FORMULA + 1), "900"):
        refused = _refused(world, {"opinion": "favourable", "proposed_amount": amount})
        assert refused.rules == ["amount"] and "le montant proposé" in refused.message, amount
    dossier = _complete(world, {"opinion": "favourable", "proposed_amount": "5000"})
    assert dossier.status == Status.INSTRUCTED and dossier.proposed_amount == Decimal("5000")
    assert '"amount_bounds":{"limits"' in AuditEvent.objects.get(action="complete_instruction").canonical


def test_amount_complete_instruction_favourable_needs_an_award_zero_only_when_unfavourable(world):
    services.record_scores(world["dossier"], by=world["instructeur"], scores=scores())
    assert (
        "n'est pas une subvention"
        in _refused(world, {"opinion": "favourable", "proposed_amount": "0"}).message
    )
    dossier = _complete(
        world,
        {"opinion": "unfavourable", "proposed_amount": "0", "opinion_motivation": "Projet non finançable."},
    )
    assert dossier.status == Status.INSTRUCTED and dossier.proposed_amount == 0


def test_amount_complete_instruction_refuses_a_stored_proposal_outside_the_current_bounds(world):
    """A proposal made under version 1 is checked again against the version the dossier follows
    (moved to version 2 by its publication: cap 3,000 €)."""
    services.record_scores(world["dossier"], by=world["instructeur"], scores=scores())
    services.propose_amount(
        world["dossier"], by=world["instructeur"], amount="4000", motivation="Séjour raccourci."
    )
    params = parameters.apply(world["campaign"].rules.params, {"amount__cap": 3000})
    publish_version(
        world["campaign"], params, by=make_user("admin"), motivation="Plafond abaissé", migration=MOVE
    )
    refused = _refused(world, {"opinion": "favourable"})
    assert refused.rules == ["amount"] and "la proposition de montant enregistrée" in refused.message
    assert "3\u00a0000\u00a0€" in refused.message


# ---- rules the mutation run (issue 24) found unstated ------------------------------------------

BOUNDS = AwardBounds(
    Decimal("1000"), Decimal("9850"), {"cap": Decimal("15000"), "requested": Decimal("9850")}
)


def test_amount_caps_exactly_at_the_floor_still_allow_the_floor():
    at_floor = AwardBounds(Decimal("1000"), Decimal("1000"), {"eligible": Decimal("1000.80")})
    assert at_floor.possible and check_award_amount("1000", at_floor) == Decimal("1000")


def test_amount_bounds_cannot_be_altered_once_computed():
    bounds = AwardBounds(Decimal("1000"), Decimal("9850"), {"requested": Decimal("9850")})
    with pytest.raises(dataclasses.FrozenInstanceError):
        bounds.maximum = Decimal("15000")


def test_amount_in_euros_and_cents_at_most():
    assert check_award_amount("5000,50", BOUNDS) == Decimal("5000.50")
    for amount in ("5000,505", Decimal("-0.50"), Decimal("Infinity")):
        with pytest.raises(TransitionRefused, match="au plus deux décimales"):
            check_award_amount(amount, BOUNDS)


def test_amount_refusal_offers_0_only_where_0_means_no_grant():
    """Where 0 € is allowed (a proposal, an unfavourable opinion) the refusal says so; an award is
    only told its range."""
    impossible = AwardBounds(Decimal("1000"), Decimal("500"), {"formula": Decimal("500")})
    assert award_refusal(Decimal("500"), impossible, zero_allowed=True).endswith("; proposez 0 €.")
    assert award_refusal(Decimal("500"), impossible).endswith("à ce dossier.")
    below = award_refusal(Decimal("900"), BOUNDS, zero_allowed=True)
    assert "proposez 0 € ou un montant entre 1\u00a0000\u00a0€ et 9\u00a0850\u00a0€" in below
    assert award_refusal(Decimal("900"), BOUNDS).endswith(
        "le montant est entre 1\u00a0000\u00a0€ et 9\u00a0850\u00a0€."
    )


def test_amount_only_zero_means_no_grant():
    """0 € stands for « no grant » where allowed; a negative amount never does."""
    assert award_refusal(Decimal("0"), BOUNDS, zero_allowed=True) == ""
    assert "n'est pas attribuée" in award_refusal(Decimal("-1"), BOUNDS, zero_allowed=True)
