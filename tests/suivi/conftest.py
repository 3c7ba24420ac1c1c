"""Builders for the front-office tests after submission: a cast and dossiers set in a status."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest

from fonds import clock
from fonds.dossiers.models import Dossier
from fonds.dossiers.states import Status
from fonds.suivi.testing import travel_after_project
from tests.factories import make_campaign, make_commune, make_dossier, make_user

S = Status


@dataclass
class Cast:
    campaign: object
    commune: object
    porteur: object
    other_porteur: object
    instructeur: object
    comite: object
    finance: object
    auditeur: object
    admin: object


@pytest.fixture
def cast(db) -> Cast:
    commune = make_commune(population=850, name="Saint-Exemple-sur-Loire", siren="213401234")
    other = make_commune(population=1200)
    return Cast(
        campaign=make_campaign(),
        commune=commune,
        porteur=make_user("porteur", commune=commune, first_name="Marie", last_name="Dupont"),
        other_porteur=make_user("porteur", commune=other),
        instructeur=make_user("instructeur"),
        comite=make_user("comite"),
        finance=make_user("finance"),
        auditeur=make_user("auditeur"),
        admin=make_user("admin"),
    )


def at_status(dossier, status, **fields) -> Dossier:
    """Put a dossier in ``status`` (test setup only: real changes go through perform)."""
    Dossier.objects.filter(pk=dossier.pk).update(status=status, **fields)
    dossier.refresh_from_db()
    return dossier


@pytest.fixture
def dossier(cast):
    return make_dossier(campaign=cast.campaign, commune=cast.commune, porteur=cast.porteur)


@pytest.fixture
def approved(dossier):
    return at_status(
        dossier,
        S.APPROVED,
        approved_amount=Decimal("5670.00"),
        proposed_amount=Decimal("5670.00"),
        agreement_due=clock.now() + dt.timedelta(days=30),
    )


@pytest.fixture
def advance_paid(dossier):
    return at_status(
        dossier,
        S.ADVANCE_PAID,
        approved_amount=Decimal("5670.00"),
        report_due=dossier.end_date + dt.timedelta(days=60),
    )


@pytest.fixture
def trip_over(advance_paid, clock):
    """The clock the day after the project's last day: its final report may be filed."""
    travel_after_project(clock, advance_paid)
    return advance_paid
