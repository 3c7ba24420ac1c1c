"""The comité's calendar: a session is convened ``committee.convocation_min_days`` days ahead
and opens no earlier than ``committee.open_tolerance_minutes`` before its start."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from fonds import clock
from fonds.referentiel.rules import setting

from .errors import ComiteRefused
from .models import Session


def local_time(moment) -> str:
    return f"{timezone.localtime(moment):%d/%m/%Y à %H:%M}"


def min_days(session_or_campaign) -> int:
    """``committee.convocation_min_days`` of the campaign's current rules."""
    campaign = getattr(session_or_campaign, "campaign", session_or_campaign)
    return int(setting(campaign.rules.params, "committee", "convocation_min_days"))


def convocation_refusal(starts_at, campaign, *, now=None) -> str:
    """Why a session starting at ``starts_at`` cannot be convened now (French), or "": the
    convocation leaves at least ``committee.convocation_min_days`` days before the sitting."""
    now = now or clock.now()
    days = min_days(campaign)
    delta = starts_at - now
    if delta.total_seconds() <= 0:
        return f"La date de la séance ({local_time(starts_at)}) est passée : choisissez une nouvelle date."
    if delta < dt.timedelta(days=days):
        earliest = local_time(now + dt.timedelta(days=days))
        return (
            f"La séance du {local_time(starts_at)} a lieu dans moins de {days} jours : le règlement "
            f"demande une convocation au moins {days} jours avant la séance. Choisissez une date à "
            f"partir du {earliest}."
        )
    return ""


def opens_from(session: Session):
    """The earliest moment the session may be opened (and its attendance or adjournment
    recorded): its scheduled start minus ``committee.open_tolerance_minutes``."""
    minutes = int(setting(session.campaign.rules.params, "committee", "open_tolerance_minutes"))
    return session.starts_at - dt.timedelta(minutes=minutes)


def require_sitting_time(session: Session, what: str) -> None:
    """Refuse (409 ``too_early``) before ``opens_from(session)``: a sitting happens on its date."""
    earliest = opens_from(session)
    if clock.now() < earliest:
        raise ComiteRefused(
            "too_early",
            f"Trop tôt pour {what} : la séance est convoquée pour le {local_time(session.starts_at)} "
            f"et peut être ouverte à partir du {local_time(earliest)}.",
            ["starts_at"],
        )
