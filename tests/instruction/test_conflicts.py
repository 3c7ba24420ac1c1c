"""An instructor who declared a link with a commune cannot instruct its dossiers."""

import pytest

from fonds.audit.models import AuditEvent
from fonds.dossiers.services import TransitionRefused, perform, preparers_for
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
    dossier = make_dossier(
        campaign=world["campaign"], commune=world["commune"], porteur=world["porteur"], title="Autre projet"
    )
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


@pytest.mark.parametrize(
    "name, data, motivation",
    [
        ("request_corrections", {}, "Pièce manquante."),
        ("complete_instruction", {"opinion": "favourable"}, ""),
        ("declare_ineligible", {}, "Hors critères."),
    ],
)
def test_conflict_of_interest_instructor_refused_every_instruction_transition(
    world, linked, name, data, motivation
):
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
    assert "reopen_instruction" in [
        a["name"] for a in services.instruction_actions(world["dossier"], world["instructeur"])
    ]


def test_guards_are_installed_once_and_run_before_the_core_preparers():
    hooks.register()
    hooks.register()
    start = preparers_for("start_instruction")
    assert start.count(hooks._conflict_guard) == 1 and start.index(hooks._conflict_guard) == 0
    assert start[-1].__name__ == "_prepare_start_instruction"
    complete = [f.__name__ for f in preparers_for("complete_instruction")]
    assert complete == ["_conflict_guard", "_completion_guard", "_prepare_complete"]
    assert [f.__name__ for f in preparers_for("request_corrections")] == [
        "_conflict_guard",
        "_prepare_corrections",
    ]


def test_conflict_declaration_only_by_instructors(world):
    with pytest.raises(TransitionRefused) as refused:
        services.declare_conflict(make_user("comite"), world["commune"], motivation="Élu.")
    assert refused.value.kind == "role"
