"""Builders of public projects: a dossier with its convention accepted (status set directly —
test setup only, as tests/security/world.py ``_at``; the real transition is walked where it is
the subject)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from fonds.dossiers.models import Dossier
from fonds.dossiers.states import Status
from tests.factories import make_campaign, make_commune, make_dossier, make_jumelage


def at(dossier, status, **fields):
    Dossier.objects.filter(pk=dossier.pk).update(status=status, **fields)
    dossier.refresh_from_db()
    return dossier


def public_project(status=Status.AGREEMENT_SIGNED, *, commune=None, campaign=None, country="DE", **fields):
    commune = commune or make_commune(latitude=Decimal("45.75"), longitude=Decimal("4.85"))
    dossier = make_dossier(campaign=campaign or make_campaign(), commune=commune)
    if country != "DE":
        fields.setdefault(
            "jumelage", make_jumelage(commune, country=country, name="Città", lat="43.77", lon="11.25")
        )
    return at(dossier, status, approved_amount=Decimal("5670.00"), **fields)


@pytest.fixture
def project():
    return public_project


@pytest.fixture
def past():
    """A trip that is over: dates in the past."""
    start = dt.date.today() - dt.timedelta(days=60)
    return {"start_date": start, "end_date": start + dt.timedelta(days=8)}
