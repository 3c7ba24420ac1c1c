"""Every amount the committee sets lies within the award bounds — defence in depth.

The votes and decisions check an amended amount with their own messages; this preparer (order 35,
after the envelope's, before the core amount preparer) checks the same bounds on ``approve``,
``waitlist`` and ``promote`` whatever fires them (``fonds.instruction.amount.award_bounds``)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from fonds.dossiers import services as dossier_services
from fonds.dossiers.states import Status
from fonds.instruction.amount import award_bounds, check_award_amount

from .envelope import waitlisted_amount

BOUNDED = ("approve", "waitlist", "promote")


def _amount(dossier, data):
    given = data.get("amount")
    if given is not None:
        return given
    if dossier.status == Status.WAITLISTED:
        return waitlisted_amount(dossier)
    return dossier.proposed_amount


def check_bounds(dossier, by, data):
    amount = _amount(dossier, data)
    if amount is None:
        return {}  # the core preparer asks for an amount
    try:
        Decimal(str(amount))
    except (InvalidOperation, ValueError):
        return {}  # the core preparer refuses the invalid amount with its message
    bounds = award_bounds(dossier, dossier.rules.params)
    check_award_amount(amount, bounds)  # TransitionRefused("condition", French, rules=["amount"])
    return {"award_bounds": bounds.as_dict()}


def register() -> None:
    """Register the preparer (idempotent; from ``ComiteConfig.ready``)."""
    for name in BOUNDED:
        dossier_services.preparer(name, order=35)(check_bounds)
