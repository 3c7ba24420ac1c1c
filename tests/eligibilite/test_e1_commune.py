"""E1 — a current commune whose population is at most ``max_population`` (3,500)."""

from fonds.dossiers.models import Dossier
from fonds.referentiel.models import Commune

from .conftest import check


def _population(dossier, population):
    Commune.objects.filter(pk=dossier.commune_id).update(population=population)


def test_e1_population_3500_passes(dossier):
    _population(dossier, 3500)
    outcome = check("E1", dossier)
    assert outcome.result == "pass"
    assert outcome.data["population"] == 3500
    assert outcome.data["max_population"] == 3500


def test_e1_population_3501_fails(dossier):
    _population(dossier, 3501)
    outcome = check("E1", dossier)
    assert outcome.result == "fail"
    assert "3\u00a0501" in outcome.explanation
    assert outcome.how_to_fix


def test_e1_unknown_population_fails_with_explanation(dossier):
    _population(dossier, None)
    outcome = check("E1", dossier)
    assert outcome.result == "fail"
    assert "pas connue" in outcome.explanation
    assert outcome.data["population"] is None


def test_e1_dossier_without_commune_fails(dossier):
    unsaved = Dossier(campaign=dossier.campaign, title="x")
    outcome = check("E1", unsaved)
    assert outcome.result == "fail"
    assert outcome.data["commune"] is None


def test_e1_commune_no_longer_current_fails(dossier):
    Commune.objects.filter(pk=dossier.commune_id).update(is_current=False, population=300)
    outcome = check("E1", dossier)
    assert outcome.result == "fail"
    assert outcome.data["is_current"] is False
    assert "code officiel géographique" in outcome.explanation
