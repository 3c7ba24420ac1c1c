"""E2 — a twinning with a town abroad, with an agreement date or a letter of intent."""

from fonds.dossiers.models import Dossier
from fonds.referentiel.models import Jumelage, PartnerTown
from tests.factories import make_commune, make_jumelage

from .conftest import check


def test_e2_twinning_with_agreement_passes(dossier):
    outcome = check("E2", dossier)
    assert outcome.result == "pass"
    assert outcome.data["country"] == "DE"
    assert outcome.data["agreement_date"]


def test_e2_no_jumelage_fails(dossier):
    Dossier.objects.filter(pk=dossier.pk).update(jumelage=None)
    outcome = check("E2", dossier)
    assert outcome.result == "fail"
    assert outcome.data == {"jumelage": None}


def test_e2_partner_in_france_fails(dossier):
    PartnerTown.objects.filter(pk=dossier.jumelage.partner_id).update(country="FR")
    outcome = check("E2", dossier)
    assert outcome.result == "fail"
    assert "hors de France" in outcome.explanation
    assert "(pays indiqué : FR)" in outcome.explanation


def test_e2_partner_without_country_fails(dossier):
    PartnerTown.objects.filter(pk=dossier.jumelage.partner_id).update(country="  ")
    outcome = check("E2", dossier)
    assert outcome.result == "fail" and outcome.data["country"] == ""
    assert "hors de France (pays indiqué : aucun)" in outcome.explanation


def test_e2_letter_of_intent_without_agreement_date_passes(dossier):
    Jumelage.objects.filter(pk=dossier.jumelage_id).update(agreement_date=None, letter_of_intent=True)
    outcome = check("E2", dossier)
    assert outcome.result == "pass"
    assert outcome.data["letter_of_intent"] is True


def test_e2_neither_agreement_nor_letter_of_intent_fails(dossier):
    Jumelage.objects.filter(pk=dossier.jumelage_id).update(agreement_date=None, letter_of_intent=False)
    outcome = check("E2", dossier)
    assert outcome.result == "fail"
    assert "lettre d'intention" in outcome.how_to_fix


def test_e2_jumelage_of_another_commune_fails(dossier):
    """Whichever commune it belongs to: one whose code sorts before the dossier's, or after."""
    before, after = make_commune(code="00001"), make_commune(code="99999")
    assert before.pk < dossier.commune_id < after.pk
    for other in (before, after):
        Dossier.objects.filter(pk=dossier.pk).update(jumelage=make_jumelage(other))
        outcome = check("E2", dossier)
        assert outcome.result == "fail", other.pk
        assert "n'est pas celui de votre commune" in outcome.explanation


def test_e2_partner_in_any_country_but_france_passes(dossier):
    """Wherever abroad (ISO 3166-1 alpha-2 code), whether it sorts before or after FR."""
    for typed, country in (("IT", "IT"), ("gb", "GB"), ("be", "BE")):
        PartnerTown.objects.filter(pk=dossier.jumelage.partner_id).update(country=typed)
        outcome = check("E2", dossier)
        assert (outcome.result, outcome.data["country"]) == ("pass", country), typed
