"""grant_for_dossier: the formula applied to a dossier's fields, budget lines and campaign rules."""

import copy
from decimal import Decimal

from fonds.dossiers.models import BudgetLine, Dossier
from fonds.instruction.amount import grant_for_dossier
from fonds.referentiel.geo import great_circle_km
from fonds.referentiel.models import Commune
from tests.factories import make_dossier


def test_grant_for_dossier_uses_declared_distance_without_coordinates(db):
    dossier = make_dossier()  # commune without coordinates, 850 km declared, 8 young + 2 leaders, green
    Commune.objects.filter(pk=dossier.commune_id).update(latitude=None, longitude=None)
    result = grant_for_dossier(Dossier.objects.get(pk=dossier.pk))
    assert result.distance_km == 850
    assert result.travellers == 10
    assert result.travel == Decimal("4170")  # 10 × 417 €
    assert result.stay == Decimal("1000")  # (8 − 4) × 10 × 25 €
    assert result.amount == Decimal("5670") and result.limiting == "formula"  # 4,170 + 1,000 + 500
    assert "déclarée" in result.lines[0]


def test_grant_for_dossier_prefers_great_circle_distance(db):
    dossier = make_dossier()
    Commune.objects.filter(pk=dossier.commune_id).update(
        latitude=Decimal("48.856600"), longitude=Decimal("2.352200")
    )
    dossier = Dossier.objects.get(pk=dossier.pk)
    partner = dossier.jumelage.partner
    result = grant_for_dossier(dossier)
    assert result.distance_km == great_circle_km(
        Decimal("48.856600"), Decimal("2.352200"), partner.latitude, partner.longitude
    )
    assert result.distance_km != 850
    assert "vol d'oiseau" in result.lines[0]


def test_grant_for_dossier_counts_only_eligible_expenses(db):
    dossier = make_dossier(requested_amount=Decimal("9000"))
    BudgetLine.objects.filter(dossier=dossier).update(eligible=False)
    BudgetLine.objects.create(
        dossier=dossier, kind="expense", category="travel", amount=Decimal("3000.50"), eligible=True
    )
    result = grant_for_dossier(Dossier.objects.get(pk=dossier.pk))
    assert result.eligible_costs == Decimal("3000.50")
    assert result.amount == Decimal("2400")  # 80 % × 3,000.50 = 2,400.40 → 2,400
    assert result.limiting == "eligible"


def test_grant_for_dossier_reads_the_campaign_rules(db):
    dossier = make_dossier()
    Commune.objects.filter(pk=dossier.commune_id).update(latitude=None, longitude=None)
    rules = dossier.campaign.rules
    params = copy.deepcopy(rules.params)
    params["amount"]["cap"] = "5000"
    rules.new_version(params, note="plafond abaissé")
    result = grant_for_dossier(Dossier.objects.get(pk=dossier.pk))
    assert result.amount == Decimal("5000") and result.limiting == "cap"


def test_grant_for_dossier_unknown_distance_gives_no_travel_amount(db):
    """No coordinates and no declared distance: T is 0 and the explanation says the distance is
    unknown (no distance line before it)."""
    dossier = make_dossier()
    Commune.objects.filter(pk=dossier.commune_id).update(latitude=None, longitude=None)
    Dossier.objects.filter(pk=dossier.pk).update(distance_km=None)
    result = grant_for_dossier(Dossier.objects.get(pk=dossier.pk))
    assert result.distance_km is None and result.band is None and result.travel == 0
    assert result.lines[0].startswith("Voyage (T) : distance entre les deux mairies inconnue")
