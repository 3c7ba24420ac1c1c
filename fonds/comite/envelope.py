"""The campaign envelope: approvals never exceed it; beyond it, the waiting list.

* ``committed(campaign)`` — the sum of approved amounts of the campaign's dossiers that hold money
  (approved … closed), minus confirmed recoveries (``EnvelopeRelease``); lapsed dossiers stop
  counting.
* ``left(campaign)`` — envelope − committed.
* ``approve_or_waitlist(dossier, by=…, amount=…)`` — inside the caller's transaction, lock the
  campaign row (``select_for_update``: concurrent approvals of a campaign are serialised on
  PostgreSQL) and fire ``approve`` when the amount fits, else ``waitlist``.
* preparer on ``approve`` / ``promote`` (order 30): locks the campaign row and refuses an amount
  beyond what is left (whatever path fires the transition).
* after-hooks on ``withdraw`` / ``lapse`` / ``recover`` (and ``settle`` to record a recovery
  order): the first waitlisted dossier (ranking order) is proposed for promotion when it fits.
"""
from __future__ import annotations

from decimal import Decimal


def committed(campaign) -> Decimal:
    raise NotImplementedError


def left(campaign) -> Decimal:
    raise NotImplementedError


def lock_campaign(campaign_id: int):
    """Lock and return the campaign row (inside a transaction)."""
    raise NotImplementedError


def waiting_list(campaign) -> list:
    """Waitlisted dossiers of the campaign in ranking order (score desc, smaller population, rank)."""
    raise NotImplementedError


def waitlisted_amount(dossier) -> Decimal | None:
    """The amount the committee decided for a waitlisted dossier (its last agenda item)."""
    raise NotImplementedError


def approve_or_waitlist(dossier, *, by, amount: Decimal, motivation: str = "", data: dict | None = None) -> str:
    """Fire ``approve`` when ``amount`` fits in what is left, else ``waitlist``; returns the
    transition fired. Must run inside a transaction."""
    raise NotImplementedError


def propose_promotion(campaign, *, trigger: str, trigger_dossier=None):
    """Propose the first waitlisted dossier for promotion if it fits (returns the proposal or None)."""
    raise NotImplementedError


def register() -> None:
    """Register the preparers and after-hooks (idempotent; from ``ComiteConfig.ready``)."""
    raise NotImplementedError
