"""The dossier state machine, table-driven: every (status, transition, actor) combination.

The expected outcome is computed from the contract table of the foundation issue (written out
below, independently of the model's decorators), so a drifting decorator fails the test.
"""
import pytest

from fonds.audit.models import AuditEvent
from fonds.dossiers.models import Dossier
from fonds.dossiers.services import TransitionRefused, perform, transition_names
from fonds.dossiers.states import Status
from fonds.suivi.testing import travel_after_project
from tests.factories import make_commune, make_dossier, make_user

S = Status
# transition: (sources, target, roles allowed) — the public contract
CONTRACT = {
    "submit": ({S.DRAFT}, S.SUBMITTED, {"porteur"}),
    "withdraw": ({S.DRAFT, S.SUBMITTED, S.IN_INSTRUCTION, S.CORRECTIONS_REQUESTED, S.INSTRUCTED}, S.WITHDRAWN, {"porteur"}),
    "start_instruction": ({S.SUBMITTED}, S.IN_INSTRUCTION, {"instructeur"}),
    "request_corrections": ({S.IN_INSTRUCTION}, S.CORRECTIONS_REQUESTED, {"instructeur"}),
    "resubmit": ({S.CORRECTIONS_REQUESTED}, S.IN_INSTRUCTION, {"porteur"}),
    "expire_corrections": ({S.CORRECTIONS_REQUESTED}, S.CLOSED_WITHOUT_FOLLOW_UP, {"system"}),
    "declare_ineligible": ({S.SUBMITTED, S.IN_INSTRUCTION}, S.INELIGIBLE, {"instructeur"}),
    "complete_instruction": ({S.IN_INSTRUCTION}, S.INSTRUCTED, {"instructeur"}),
    "reopen_instruction": ({S.INSTRUCTED}, S.IN_INSTRUCTION, {"instructeur"}),
    "schedule": ({S.INSTRUCTED}, S.IN_COMMITTEE, {"instructeur", "admin"}),
    "approve": ({S.IN_COMMITTEE}, S.APPROVED, {"comite"}),
    "reject": ({S.IN_COMMITTEE}, S.REJECTED, {"comite"}),
    "waitlist": ({S.IN_COMMITTEE}, S.WAITLISTED, {"comite"}),
    "defer": ({S.IN_COMMITTEE}, S.INSTRUCTED, {"comite"}),
    "promote": ({S.WAITLISTED}, S.APPROVED, {"admin"}),
    "accept_agreement": ({S.APPROVED}, S.AGREEMENT_SIGNED, {"porteur"}),
    "lapse": ({S.APPROVED}, S.LAPSED, {"system"}),
    "pay_advance": ({S.AGREEMENT_SIGNED}, S.ADVANCE_PAID, {"finance"}),
    "submit_report": ({S.ADVANCE_PAID}, S.REPORT_SUBMITTED, {"porteur"}),
    "settle": ({S.REPORT_SUBMITTED}, S.CLOSED, {"finance"}),
    "recover": ({S.RECOVERY_PENDING}, S.CLOSED, {"finance"}),
}
ACTORS = ["porteur", "porteur_other_commune", "instructeur", "comite", "finance", "auditeur", "admin", "system"]
DATA = {"settle": {"balance": "150.00"}}


def test_contract_lists_every_transition_of_the_model():
    assert set(CONTRACT) == set(transition_names())


def _expected(name, status, actor):
    sources, target, roles = CONTRACT[name]
    if actor == "porteur_other_commune":
        return "not_found", None
    if status not in sources:
        return "status", None
    if actor not in roles:
        return "role", None
    return "ok", target


@pytest.fixture
def world(db):
    commune = make_commune(population=900)
    other = make_commune(population=1200)
    actors = {
        "porteur": make_user("porteur", commune=commune),
        "porteur_other_commune": make_user("porteur", commune=other),
        "instructeur": make_user("instructeur"),
        "comite": make_user("comite"),
        "finance": make_user("finance"),
        "auditeur": make_user("auditeur"),
        "admin": make_user("admin"),
        "system": None,
    }
    dossier = make_dossier(commune=commune, porteur=actors["porteur"], proposed_amount="5000.00")
    return dossier, actors


@pytest.mark.django_db
@pytest.mark.parametrize("status", [s.value for s in Status])
@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_transition_matrix(world, status, name, clock):
    dossier, actors = world
    if name in ("submit_report", "settle"):
        travel_after_project(clock, dossier)  # a final report and its balance come after the trip
    for actor in ACTORS:
        Dossier.objects.filter(pk=dossier.pk).update(status=status)  # test setup only
        before_events = AuditEvent.objects.count()
        expected, target = _expected(name, status, actor)
        motivation = "Motivation écrite de la décision."
        if expected == "ok":
            if name == "complete_instruction":  # the grid scored and the verdicts settled (fonds.instruction)
                from fonds.instruction.testing import ready_for_completion

                data = {"opinion": ready_for_completion(dossier, by=actors[actor])}
                result = perform(dossier.pk, name, by=actors[actor], motivation=motivation, data=data)
            elif name == "accept_agreement":  # the convention read and accepted under a name (fonds.suivi)
                from fonds.suivi.testing import acceptance_data

                Dossier.objects.filter(pk=dossier.pk).update(approved_amount=dossier.proposed_amount)
                dossier.refresh_from_db()
                result = perform(dossier.pk, name, by=actors[actor], motivation=motivation, data=acceptance_data(dossier))
            elif name == "submit_report":  # a complete final report (fonds.suivi)
                from fonds.suivi.testing import file_complete_report

                dossier.refresh_from_db()
                file_complete_report(dossier, by=actors[actor])
                result = perform(dossier.pk, name, by=actors[actor], motivation=motivation)
            else:
                result = perform(dossier.pk, name, by=actors[actor], motivation=motivation, data=DATA.get(name))
            assert result.status == target, (name, status, actor)
            names = list(AuditEvent.objects.filter(seq__gt=before_events).values_list("action", flat=True))
            assert names[-1] == name and names.count(name) == 1
        else:
            with pytest.raises(TransitionRefused) as refused:
                perform(dossier.pk, name, by=actors[actor], motivation=motivation, data=DATA.get(name))
            assert refused.value.kind == expected, (name, status, actor, refused.value)
            assert refused.value.message  # French, never empty
            assert Dossier.objects.get(pk=dossier.pk).status == status
            assert AuditEvent.objects.count() == before_events, "a refused transition writes no audit event"


@pytest.mark.django_db
@pytest.mark.parametrize("name,status,actor", [
    ("declare_ineligible", S.SUBMITTED, "instructeur"),
    ("request_corrections", S.IN_INSTRUCTION, "instructeur"),
    ("reject", S.IN_COMMITTEE, "comite"),
    ("reopen_instruction", S.INSTRUCTED, "instructeur"),
    ("expire_corrections", S.CORRECTIONS_REQUESTED, "system"),
    ("lapse", S.APPROVED, "system"),
])
def test_motivation_required_refuses_empty_one(world, name, status, actor):
    dossier, actors = world
    Dossier.objects.filter(pk=dossier.pk).update(status=status)
    before = AuditEvent.objects.count()
    for empty in ("", "   \n"):
        with pytest.raises(TransitionRefused) as refused:
            perform(dossier.pk, name, by=actors[actor], motivation=empty)
        assert refused.value.kind == "motivation" and refused.value.http_status == 400
    assert Dossier.objects.get(pk=dossier.pk).status == status
    assert AuditEvent.objects.count() == before


@pytest.mark.django_db
def test_settle_with_negative_balance_goes_to_recovery_pending(world, clock):
    dossier, actors = world
    travel_after_project(clock, dossier)
    Dossier.objects.filter(pk=dossier.pk).update(status=S.REPORT_SUBMITTED)
    assert perform(dossier.pk, "settle", by=actors["finance"], data={"balance": "-320.50"}).status == S.RECOVERY_PENDING


@pytest.mark.django_db
def test_settle_refuses_amount_with_three_decimals(world):
    dossier, actors = world
    Dossier.objects.filter(pk=dossier.pk).update(status=S.REPORT_SUBMITTED)
    with pytest.raises(TransitionRefused) as refused:
        perform(dossier.pk, "settle", by=actors["finance"], data={"balance": "10.005"})
    assert refused.value.kind == "condition"


@pytest.mark.django_db
def test_committee_member_who_instructed_the_dossier_cannot_vote_on_it(world):
    dossier, actors = world
    both = make_user(["instructeur", "comite"])
    Dossier.objects.filter(pk=dossier.pk).update(status=S.SUBMITTED)
    perform(dossier.pk, "start_instruction", by=both)
    Dossier.objects.filter(pk=dossier.pk).update(status=S.IN_COMMITTEE)
    with pytest.raises(TransitionRefused) as refused:
        perform(dossier.pk, "approve", by=both)
    assert refused.value.kind == "role"


@pytest.mark.django_db
def test_status_field_is_protected():
    dossier = make_dossier()
    with pytest.raises(AttributeError):
        dossier.status = S.APPROVED


@pytest.mark.django_db
def test_audit_event_records_from_to_motivation_and_rules_version(world):
    dossier, actors = world
    Dossier.objects.filter(pk=dossier.pk).update(status=S.SUBMITTED)
    perform(dossier.pk, "declare_ineligible", by=actors["instructeur"], motivation="Population supérieure au seuil.")
    event = AuditEvent.objects.filter(action="declare_ineligible").get()
    body = event.data
    assert body["payload"]["from"] == "submitted" and body["payload"]["to"] == "ineligible"
    assert body["payload"]["motivation"] == "Population supérieure au seuil."
    assert body["payload"]["rules_version"] == 1
    assert body["actor"] == {"id": actors["instructeur"].pk, "label": actors["instructeur"].email, "role": "instructeur"}
    assert event.object_type == "dossiers.dossier" and event.object_id == str(dossier.pk)
