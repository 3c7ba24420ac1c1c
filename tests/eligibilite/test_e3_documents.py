"""E3 — the required documents (a current one of each kind; replaced ones never count twice)."""

import pytest

from fonds.dossiers.models import Document
from fonds.referentiel.rules import DEFAULT_RULES

from .conftest import add_document, check, with_params


def test_e3_all_documents_present_passes(dossier):
    outcome = check("E3", dossier)
    assert outcome.result == "pass"
    assert outcome.data["missing"] == []


def test_e3_missing_rib_fails(dossier):
    Document.objects.filter(dossier=dossier, kind="rib").delete()
    outcome = check("E3", dossier)
    assert outcome.result == "fail"
    assert outcome.data["missing"] == ["rib"]
    assert "RIB" in outcome.explanation and "RIB" in outcome.how_to_fix


def test_e3_replaced_document_counts_once(dossier):
    old = Document.objects.get(dossier=dossier, kind="rib")
    new = add_document(dossier, "rib")
    Document.objects.filter(pk=old.pk).update(replaced_by=new)
    outcome = check("E3", dossier)
    assert outcome.result == "pass"
    assert outcome.data["present"]["rib"] == 1


def test_e3_replaced_document_alone_does_not_count(dossier):
    old = Document.objects.get(dossier=dossier, kind="deliberation")
    reclassified = add_document(dossier, "other")
    Document.objects.filter(pk=old.pk).update(replaced_by=reclassified)
    outcome = check("E3", dossier)
    assert outcome.result == "fail"
    assert outcome.data["missing"] == ["deliberation"]


def test_e3_required_list_is_campaign_data(dossier):
    Document.objects.filter(dossier=dossier, kind="rib").delete()
    ruleset = with_params(
        dossier, required_documents=["deliberation", "twinning_agreement", "partner_commitment"]
    )
    assert check("E3", dossier, ruleset=ruleset).result == "pass"


def test_e3_default_list_is_the_four_documents_of_the_reglement():
    """Règlement, E3: délibération, twinning agreement, partner's commitment, RIB of the commune."""
    required = DEFAULT_RULES["eligibility"]["required_documents"]
    assert sorted(required) == ["deliberation", "partner_commitment", "rib", "twinning_agreement"]


@pytest.mark.parametrize("kind", ["deliberation", "twinning_agreement", "partner_commitment", "rib"])
def test_e3_each_default_document_missing_fails(dossier, kind):
    Document.objects.filter(dossier=dossier, kind=kind).delete()
    outcome = check("E3", dossier)
    assert outcome.result == "fail" and outcome.data["missing"] == [kind]
