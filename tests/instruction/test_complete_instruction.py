"""complete_instruction: verdicts settled, every criterion scored, opinion consistent or motivated."""

from decimal import Decimal

import pytest

from fonds.audit.models import AuditEvent
from fonds.dossiers.services import TransitionRefused, perform
from fonds.dossiers.states import Status
from fonds.eligibilite.models import Verdict
from fonds.instruction import services
from fonds.instruction.testing import ready_for_completion

from .conftest import MANUAL_FULL, scores

pytestmark = pytest.mark.django_db


def _refused(world, data, motivation=""):
    with pytest.raises(TransitionRefused) as refused:
        perform(
            world["dossier"],
            "complete_instruction",
            by=world["instructeur"],
            data=data,
            motivation=motivation,
        )
    world["dossier"].refresh_from_db()
    assert world["dossier"].status == Status.IN_INSTRUCTION
    assert not AuditEvent.objects.filter(action="complete_instruction").exists()
    return refused.value


def test_complete_instruction_refused_when_a_criterion_is_missing(world):
    partial = {k: v for k, v in MANUAL_FULL.items() if k != "quality"}
    services.record_scores(world["dossier"], by=world["instructeur"], scores=scores(partial))
    refused = _refused(world, {"opinion": "favourable"})
    assert (
        refused.kind == "condition"
        and "scoring" in refused.rules
        and "Qualité du programme" in refused.message
    )


def test_complete_instruction_refused_when_a_verdict_failed_and_not_overridden(world):
    services.record_scores(world["dossier"], by=world["instructeur"], scores=scores())
    verdict = services.latest_run(world["dossier"]).verdicts.get(code="E6")
    Verdict.objects.filter(pk=verdict.pk).update(result=Verdict.Result.FAIL)
    refused = _refused(world, {"opinion": "favourable"})
    assert refused.rules == ["E6"] and "E6" in refused.message
    services.override_verdict(
        world["dossier"],
        verdict.pk,
        by=world["instructeur"],
        motivation="Budget rectifié par courriel du maire.",
    )
    perform(world["dossier"], "complete_instruction", by=world["instructeur"], data={"opinion": "favourable"})
    event = AuditEvent.objects.get(action="complete_instruction")
    assert '"overrides":{"E6":' in event.canonical


def test_complete_instruction_refused_when_opinion_inconsistent_without_motivation(world):
    services.record_scores(
        world["dossier"], by=world["instructeur"], scores=scores()
    )  # 100 points: favourable
    refused = _refused(world, {"opinion": "unfavourable"})
    assert refused.rules == ["opinion"] and "motivez" in refused.message
    perform(
        world["dossier"],
        "complete_instruction",
        by=world["instructeur"],
        data={"opinion": "unfavourable", "opinion_motivation": "Le partenaire ne confirme pas l'accueil."},
    )
    world["dossier"].refresh_from_db()
    assert world["dossier"].status == Status.INSTRUCTED and world["dossier"].opinion == "unfavourable"
    assert "ne confirme pas" in AuditEvent.objects.get(action="complete_instruction").canonical


def test_complete_instruction_refused_without_opinion(world):
    services.record_scores(world["dossier"], by=world["instructeur"], scores=scores())
    assert _refused(world, {}).rules == ["opinion"]


def test_complete_instruction_unfavourable_grid_allows_unfavourable_without_motivation(world):
    low = {**MANUAL_FULL, "budget": 4}  # below half of 10
    services.record_scores(world["dossier"], by=world["instructeur"], scores=scores(low))
    assert _refused(world, {"opinion": "favourable"}).rules == ["opinion"]
    perform(
        world["dossier"], "complete_instruction", by=world["instructeur"], data={"opinion": "unfavourable"}
    )


def test_complete_instruction_records_the_current_proposal_and_the_grid(world):
    services.record_scores(world["dossier"], by=world["instructeur"], scores=scores())
    proposal = services.propose_amount(
        world["dossier"], by=world["instructeur"], amount="4000", motivation="Séjour raccourci d'une nuit."
    )
    perform(world["dossier"], "complete_instruction", by=world["instructeur"], data={"opinion": "favourable"})
    world["dossier"].refresh_from_db()
    assert world["dossier"].proposed_amount == Decimal("4000") and world["dossier"].opinion == "favourable"
    canonical = AuditEvent.objects.get(action="complete_instruction").canonical
    assert (
        f'"amount_proposal":{proposal.pk}' in canonical
        and '"suggestion":"favourable"' in canonical
        and '"total":100' in canonical
    )


def test_complete_instruction_without_proposal_takes_the_formula(world):
    from fonds.instruction.amount import grant_for_dossier

    opinion = ready_for_completion(world["dossier"], by=world["instructeur"])
    perform(world["dossier"], "complete_instruction", by=world["instructeur"], data={"opinion": opinion})
    world["dossier"].refresh_from_db()
    assert world["dossier"].proposed_amount == grant_for_dossier(world["dossier"]).grant


def test_complete_instruction_computes_a_missing_territorial_score(world):
    from fonds.instruction.models import Score

    services.record_scores(world["dossier"], by=world["instructeur"], scores=scores())
    Score.objects.filter(criterion="territorial").delete()
    perform(world["dossier"], "complete_instruction", by=world["instructeur"], data={"opinion": "favourable"})
    assert Score.objects.get(dossier=world["dossier"], criterion="territorial").points == 15
    assert '"automatic_scores"' in AuditEvent.objects.get(action="complete_instruction").canonical


# ---- thresholds: favourable only with ≥ 60 and half of every criterion scored by the instructor ----


def test_grid_below_threshold_cannot_be_sent_favourable_even_with_motivation(world):
    low = {**MANUAL_FULL, "budget": 4}  # below half of 10
    services.record_scores(world["dossier"], by=world["instructeur"], scores=scores(low))
    for data, motivation in (
        ({"opinion": "favourable", "opinion_motivation": "Projet exemplaire malgré le budget."}, ""),
        ({"opinion": "favourable"}, "Projet exemplaire malgré le budget."),
    ):
        refused = _refused(world, data, motivation)
        assert refused.rules == ["opinion"]
        assert "avis favorable est impossible" in refused.message and "Réalisme du budget" in refused.message
    perform(
        world["dossier"], "complete_instruction", by=world["instructeur"], data={"opinion": "unfavourable"}
    )
    world["dossier"].refresh_from_db()
    assert world["dossier"].status == Status.INSTRUCTED and world["dossier"].opinion == "unfavourable"


def test_grid_total_below_60_cannot_be_sent_favourable_even_with_motivation(world):
    half = {"participation": 13, "inclusion": 10, "quality": 10, "low_carbon": 5, "budget": 5}  # 43 + 15 = 58
    services.record_scores(world["dossier"], by=world["instructeur"], scores=scores(half))
    refused = _refused(world, {"opinion": "favourable", "opinion_motivation": "Très bon projet."})
    assert refused.rules == ["opinion"] and "58 points, en dessous du seuil de 60" in refused.message


def test_grid_commune_of_2000_to_3500_inhabitants_can_be_sent_favourable(world):
    """5/15 on the automatic territorial criterion is below half, and excludes nothing."""
    from tests.factories import make_commune, make_dossier, make_user

    commune = make_commune(population=2800)
    porteur = make_user("porteur", commune=commune)
    dossier = make_dossier(campaign=world["campaign"], commune=commune, porteur=porteur)
    perform(dossier, "submit", by=porteur)
    perform(dossier, "start_instruction", by=world["instructeur"])
    result = services.record_scores(dossier, by=world["instructeur"], scores=scores())
    assert result.total == 90 and result.suggestion == "favourable" and result.below_minimum == []
    perform(dossier, "complete_instruction", by=world["instructeur"], data={"opinion": "favourable"})
    dossier.refresh_from_db()
    assert dossier.status == Status.INSTRUCTED and dossier.opinion == "favourable"
