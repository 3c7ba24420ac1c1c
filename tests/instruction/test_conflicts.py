"""An instructor who declared a link with a commune cannot instruct its dossiers."""
import pytest

from fonds.audit.models import AuditEvent
from fonds.dossiers.services import PREPARERS, TransitionRefused, perform
from fonds.dossiers.states import Status
from fonds.eligibilite.models import EligibilityRun
from fonds.instruction import hooks, services
from tests.factories import make_dossier, make_user

from .conftest import scores

pytestmark = pytest.mark.django_db


@pytest.fixture
def linked(world):
    other = make_user("instructeur")
    services.declare_conflict(other, world["commune"], motivation="Conseiller municipal de la commune.")
    return other


def test_conflict_declaration_is_audited_and_unique(world, linked):
    event = AuditEvent.objects.get(action="conflict_declared")
    assert world["commune"].code in event.canonical and "Conseiller municipal" in event.canonical
    with pytest.raises(TransitionRefused, match="déjà"):
        services.declare_conflict(linked, world["commune"], motivation="Encore.")
    with pytest.raises(TransitionRefused) as refused:
        services.declare_conflict(linked, make_dossier().commune, motivation=" ")
    assert refused.value.kind == "motivation"


def test_conflict_of_interest_instructor_refused_start_instruction(world, linked):
    dossier = make_dossier(campaign=world["campaign"], commune=world["commune"], porteur=world["porteur"], title="Autre projet")
    # E7 (one live dossier per commune) would fail the deposit: withdraw the first one
    perform(world["dossier"], "withdraw", by=world["porteur"])
    perform(dossier, "submit", by=world["porteur"])
    runs = EligibilityRun.objects.filter(dossier=dossier).count()
    with pytest.raises(TransitionRefused) as refused:
        perform(dossier, "start_instruction", by=linked)
    assert refused.value.kind == "role" and "lien" in refused.value.message
    assert EligibilityRun.objects.filter(dossier=dossier).count() == runs  # refused before the re-check
    perform(dossier, "start_instruction", by=world["instructeur"])  # the chained preparer still runs
    assert EligibilityRun.objects.filter(dossier=dossier, moment="start_instruction").exists()


@pytest.mark.parametrize("name, data, motivation", [
    ("request_corrections", {}, "Pièce manquante."),
    ("complete_instruction", {"opinion": "favourable"}, ""),
    ("declare_ineligible", {}, "Hors critères."),
])
def test_conflict_of_interest_instructor_refused_every_instruction_transition(world, linked, name, data, motivation):
    services.record_scores(world["dossier"], by=world["instructeur"], scores=scores())
    with pytest.raises(TransitionRefused) as refused:
        perform(world["dossier"], name, by=linked, data=data, motivation=motivation)
    assert refused.value.kind == "role"
    world["dossier"].refresh_from_db()
    assert world["dossier"].status == Status.IN_INSTRUCTION


def test_conflict_of_interest_instructor_refused_reopen_and_services(world, linked):
    services.record_scores(world["dossier"], by=world["instructeur"], scores=scores())
    perform(world["dossier"], "complete_instruction", by=world["instructeur"], data={"opinion": "favourable"})
    with pytest.raises(TransitionRefused) as refused:
        perform(world["dossier"], "reopen_instruction", by=linked, motivation="Revoir.")
    assert refused.value.kind == "role"
    with pytest.raises(TransitionRefused):
        services.add_note(world["dossier"], by=linked, body="x")
    world["dossier"].refresh_from_db()
    assert [a["name"] for a in services.instruction_actions(world["dossier"], linked)] == []
    assert "reopen_instruction" in [a["name"] for a in services.instruction_actions(world["dossier"], world["instructeur"])]


def test_guards_are_installed_once_and_chain_the_existing_preparers():
    hooks.install()
    guard = PREPARERS["start_instruction"]
    assert getattr(guard, hooks.MARK) and guard.previous.__name__ == "_prepare_start_instruction"
    assert PREPARERS["complete_instruction"].previous.__name__ == "_prepare_complete"
    assert PREPARERS["request_corrections"].previous.__name__ == "_prepare_corrections"
    assert not getattr(guard.previous, hooks.MARK, False)


def test_conflict_declaration_only_by_instructors(world):
    with pytest.raises(TransitionRefused) as refused:
        services.declare_conflict(make_user("comite"), world["commune"], motivation="Élu.")
    assert refused.value.kind == "role"
