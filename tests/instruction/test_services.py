"""Instruction services: one transaction and one audit event each, refusals in French."""

from decimal import Decimal

import pytest

from fonds.audit.models import AuditEvent
from fonds.conversation import services as conversation
from fonds.dossiers.services import TransitionRefused, perform
from fonds.eligibilite.models import Verdict
from fonds.instruction import services
from fonds.instruction.models import AmountProposal, Assessment, PrivateNote, Score
from tests.factories import make_user

from .conftest import scores

pytestmark = pytest.mark.django_db


def _fail(dossier, code="E4"):
    run = services.latest_run(dossier)
    verdict = run.verdicts.get(code=code)
    Verdict.objects.filter(pk=verdict.pk).update(
        result=Verdict.Result.FAIL, explanation="Trop peu de jeunes."
    )
    return Verdict.objects.get(pk=verdict.pk)


def test_override_requires_a_written_motivation(world):
    verdict = _fail(world["dossier"])
    for blank in ("", "   "):
        with pytest.raises(TransitionRefused) as refused:
            services.override_verdict(world["dossier"], verdict.pk, by=world["instructeur"], motivation=blank)
        assert refused.value.kind == "motivation"
    assert not AuditEvent.objects.filter(action="eligibility_overridden").exists()


def test_override_is_audited_and_shown_with_the_verdict(world):
    verdict = _fail(world["dossier"])
    assert [r.verdict.code for r in services.eligibility_view(world["dossier"]).unsettled] == ["E4"]
    override = services.override_verdict(
        world["dossier"],
        verdict.pk,
        by=world["instructeur"],
        motivation="Un jeune s'ajoute, attestation reçue.",
    )
    event = AuditEvent.objects.get(action="eligibility_overridden")
    assert (
        event.object_id == str(world["dossier"].pk)
        and '"code":"E4"' in event.canonical
        and "attestation" in event.canonical
    )
    view = services.eligibility_view(world["dossier"])
    row = next(r for r in view.rows if r.verdict.code == "E4")
    assert row.override == override and view.all_settled


def test_override_only_of_a_failed_verdict_once(world):
    run = services.latest_run(world["dossier"])
    passed = run.verdicts.get(code="E1")
    with pytest.raises(TransitionRefused, match="respectée"):
        services.override_verdict(world["dossier"], passed.pk, by=world["instructeur"], motivation="x")
    verdict = _fail(world["dossier"])
    services.override_verdict(world["dossier"], verdict.pk, by=world["instructeur"], motivation="Motif.")
    with pytest.raises(TransitionRefused, match="déjà"):
        services.override_verdict(world["dossier"], verdict.pk, by=world["instructeur"], motivation="Motif.")


def test_override_carries_to_a_new_run_only_with_the_same_data(world):
    verdict = _fail(world["dossier"], "E1")
    services.override_verdict(world["dossier"], verdict.pk, by=world["instructeur"], motivation="Motif.")
    run = services.recheck_eligibility(world["dossier"], by=world["instructeur"])
    new = run.verdicts.get(code="E1")
    Verdict.objects.filter(pk=new.pk).update(result=Verdict.Result.FAIL)  # same data as before
    assert services.eligibility_view(world["dossier"]).all_settled
    Verdict.objects.filter(pk=new.pk).update(data={"population": 4000})
    assert [r.verdict.code for r in services.eligibility_view(world["dossier"]).unsettled] == ["E1"]


def test_scores_need_a_comment_and_points_within_the_max(world):
    with pytest.raises(TransitionRefused, match="commentaire"):
        services.record_scores(world["dossier"], by=world["instructeur"], scores={"budget": (8, "  ")})
    with pytest.raises(TransitionRefused, match="de 0 à 10"):
        services.record_scores(world["dossier"], by=world["instructeur"], scores={"budget": (11, "Trop")})
    with pytest.raises(TransitionRefused, match="automatiquement"):
        services.record_scores(world["dossier"], by=world["instructeur"], scores={"territorial": (15, "Non")})
    assert not Score.objects.exists()


def test_scores_recorded_with_rules_version_territorial_computed_and_audited(world):
    result = services.record_scores(world["dossier"], by=world["instructeur"], scores=scores())
    assert result.total == 100 and result.suggestion == "favourable"
    territorial = Score.objects.get(dossier=world["dossier"], criterion="territorial")
    assert (
        territorial.points == 15
        and territorial.automatic
        and territorial.rules_version == world["campaign"].rules.version
    )
    assessment = Assessment.objects.get(dossier=world["dossier"])
    assert assessment.score_total == 100 and assessment.complete and assessment.suggestion == "favourable"
    assert AuditEvent.objects.filter(action="scores_recorded").count() == 1
    # the same scores again change nothing and write no event
    services.record_scores(world["dossier"], by=world["instructeur"], scores=scores())
    assert AuditEvent.objects.filter(action="scores_recorded").count() == 1


def test_amount_proposal_is_the_formula_unless_amended_with_motivation(world):
    from fonds.instruction.amount import grant_for_dossier

    formula = grant_for_dossier(world["dossier"]).grant
    proposal = services.propose_amount(world["dossier"], by=world["instructeur"])
    assert proposal.amount == formula and not proposal.amended and proposal.breakdown["travel"]
    with pytest.raises(TransitionRefused) as refused:
        services.propose_amount(world["dossier"], by=world["instructeur"], amount=formula - 500)
    assert refused.value.kind == "motivation"
    amended = services.propose_amount(
        world["dossier"],
        by=world["instructeur"],
        amount=str(formula - 500),
        motivation="Activités de la journée 3 non éligibles.",
    )
    assert (
        amended.amended
        and amended.amount == formula - 500
        and services.current_proposal(world["dossier"]) == amended
    )
    events = AuditEvent.objects.filter(action="amount_proposed").order_by("seq")
    assert events.count() == 2 and "non éligibles" in events.last().canonical


def test_amount_amendment_within_the_reglement_limits(world):
    with pytest.raises(TransitionRefused, match="ne peut dépasser"):
        services.propose_amount(world["dossier"], by=world["instructeur"], amount="15001", motivation="Plus.")
    with pytest.raises(TransitionRefused, match="n'est pas attribuée"):
        services.propose_amount(world["dossier"], by=world["instructeur"], amount="999", motivation="Moins.")
    with pytest.raises(TransitionRefused, match="invalide"):
        services.propose_amount(
            world["dossier"], by=world["instructeur"], amount="12,345", motivation="Moins."
        )
    assert services.propose_amount(
        world["dossier"], by=world["instructeur"], amount="0", motivation="Projet non finançable."
    ).amount == Decimal("0")
    assert AmountProposal.objects.count() == 1


def test_private_note_is_audited_by_fingerprint_outside_the_dossier_timeline(world):
    note = services.add_note(
        world["dossier"], by=world["instructeur"], body="Le maire a appelé : pièce en route."
    )
    event = AuditEvent.objects.get(action="private_note_added")
    assert event.object_type == "instruction.privatenote" and event.object_id == str(note.pk)
    assert "pièce en route" not in event.canonical and "sha256" in event.canonical
    assert not AuditEvent.objects.filter(object_type="dossiers.dossier", action="private_note_added").exists()


def test_message_to_the_porteur_is_a_dossier_message_and_audited(world):
    message = conversation.post_message(
        world["dossier"], by=world["instructeur"], body="Merci de préciser le programme du jour 3."
    )
    assert message.dossier == world["dossier"] and message.author == world["instructeur"]
    assert AuditEvent.objects.filter(action="message_posted", object_id=str(world["dossier"].pk)).exists()


@pytest.mark.parametrize("role", ["comite", "auditeur", "admin", "finance"])
def test_only_instructors_write_instruction_data(world, role):
    other = make_user(role)
    for call in (
        lambda: services.record_scores(world["dossier"], by=other, scores=scores()),
        lambda: services.propose_amount(world["dossier"], by=other),
        lambda: services.add_note(world["dossier"], by=other, body="x"),
    ):
        with pytest.raises(TransitionRefused) as refused:
            call()
        assert refused.value.kind == "role"
    assert not PrivateNote.objects.exists()


def test_porteur_of_another_commune_gets_not_found(world):
    stranger = make_user("porteur")
    with pytest.raises(TransitionRefused) as refused:
        services.add_note(world["dossier"], by=stranger, body="x")
    assert refused.value.kind == "not_found"


def test_scores_only_while_in_instruction(world):
    services.record_scores(world["dossier"], by=world["instructeur"], scores=scores())
    perform(world["dossier"], "complete_instruction", by=world["instructeur"], data={"opinion": "favourable"})
    with pytest.raises(TransitionRefused) as refused:
        services.record_scores(world["dossier"], by=world["instructeur"], scores=scores())
    assert refused.value.kind == "status"
