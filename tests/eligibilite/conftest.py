"""Helpers for the eligibility tests (E1–E9), on top of the shared ``tests.factories``.

Everything is pinned to fixed dates so that the date rules (E5, E8, E9) do not depend on the
day the tests run: the campaign ``campaign`` opens on 15 Jan 2030 09:00 and closes on
31 Mar 2030 23:59:59 (Europe/Paris), its activity period runs from 1 Apr 2030 to 31 Mar 2031,
and checks run at ``AT`` = 15 Feb 2030 10:00 unless a test says otherwise.
"""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from fonds.dossiers.models import BudgetLine, Document, Dossier
from fonds.eligibilite.rules import REGISTRY
from tests.factories import make_campaign, make_dossier

PARIS = ZoneInfo("Europe/Paris")
AT = dt.datetime(2030, 2, 15, 10, 0, tzinfo=PARIS)
START = dt.date(2030, 7, 6)


def fixed_campaign(**extra):
    values = dict(
        year=2030,
        opens_at=dt.datetime(2030, 1, 15, 9, 0, tzinfo=PARIS),
        closes_at=dt.datetime(2030, 3, 31, 23, 59, 59, tzinfo=PARIS),
        activity_start=dt.date(2030, 4, 1),
        activity_end=dt.date(2031, 3, 31),
    )
    values.update(extra)
    return make_campaign(**values)


def eligible_dossier(campaign=None, **extra) -> Dossier:
    """A complete dossier of the shared factory, with dates pinned inside ``fixed_campaign``."""
    values = dict(start_date=START, end_date=START + dt.timedelta(days=8), activity_days=7)
    values.update(extra)
    return make_dossier(campaign=campaign or fixed_campaign(), **values)


def check(code: str, dossier, *, at=AT, ruleset=None):
    """Run one rule as the engine would (fresh instance: no stale caches)."""
    dossier = Dossier.objects.get(pk=dossier.pk) if dossier.pk else dossier
    return REGISTRY[code](dossier, ruleset or dossier.campaign.rules, at=at)


def with_params(dossier, section: str = "eligibility", **changes):
    """A new rule-set version of the dossier's campaign with ``changes`` in ``section``."""
    current = dossier.campaign.rules
    params = copy.deepcopy(current.params)
    params[section].update(changes)
    return current.new_version(params, note="test")


def set_budget(dossier, *, expenses=(("1000", True),), own_share="0", other_income="0", requested=None):
    """Replace the dossier's budget: ``expenses`` as (amount, eligible) pairs."""
    BudgetLine.objects.filter(dossier=dossier).delete()
    lines = [
        BudgetLine(dossier=dossier, kind="expense", category="activities", amount=Decimal(a), eligible=e)
        for a, e in expenses
    ]
    lines.append(BudgetLine(dossier=dossier, kind="income", category="own_share", amount=Decimal(own_share)))
    lines.append(
        BudgetLine(dossier=dossier, kind="income", category="other_funder", amount=Decimal(other_income))
    )
    BudgetLine.objects.bulk_create(lines)
    if requested is not None:
        Dossier.objects.filter(pk=dossier.pk).update(requested_amount=Decimal(requested))
    return dossier


def add_document(dossier, kind: str, **extra) -> Document:
    values = dict(
        file=f"dossiers/test/{kind}.pdf",
        original_name=f"{kind}.pdf",
        content_type="application/pdf",
        size=100,
        sha256="0" * 64,
        uploaded_by=dossier.created_by,
    )
    values.update(extra)
    return Document.objects.create(dossier=dossier, kind=kind, **values)


def set_status(dossier, status, **fields):
    """Test setup only: move a dossier's protected status with a queryset update."""
    Dossier.objects.filter(pk=dossier.pk).update(status=status, **fields)
    dossier.refresh_from_db()
    return dossier


@pytest.fixture
def campaign(db):
    return fixed_campaign()


@pytest.fixture
def dossier(campaign):
    return eligible_dossier(campaign)
