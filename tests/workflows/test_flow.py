"""The dossier's process follows its transitions: one open task, at the right stage, in the right queue."""

from decimal import Decimal

import pytest
from django.db import transaction
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from fonds import clock
from fonds.audit.models import AuditEvent
from fonds.comite import envelope
from fonds.dossiers.services import perform
from fonds.dossiers.states import Status
from fonds.referentiel.models import Campaign
from workflows import queues
from workflows.flows import DossierFlow
from workflows.handlers import WorkflowOutOfSync, align
from workflows.models import DossierProcess

from .conftest import MAIN_PATH, act, history, open_tasks_of, walk

S = Status

# after each transition of the main path: (open stage, who sees it, who does not)
EXPECTED = {
    "submit": ("take_for_instruction", {"instructeur", "instructeur2"}),
    "start_instruction": ("instruct", {"instructeur"}),  # assigned to the instructor who took it
    "request_corrections": ("correct", {"porteur"}),
    "resubmit": ("instruct", {"instructeur"}),
    "complete_instruction": ("schedule", {"instructeur", "instructeur2", "admin"}),
    "schedule": ("committee", {"comite"}),
    "approve": ("sign_agreement", {"porteur"}),
    "accept_agreement": ("pay_advance", {"finance"}),
    "pay_advance": ("final_report", {"porteur"}),
    "submit_report": ("settle", {"finance"}),
}


def test_main_path_one_open_task_in_the_right_queue(cast, new_dossier):
    dossier = new_dossier()
    assert not DossierProcess.objects.filter(dossier=dossier).exists()  # drafts have no process
    assert queues.open_task(dossier) is None
    people = cast.all()

    for transition, actor, motivation, data in MAIN_PATH:
        act(cast, dossier, transition, actor, motivation, data)
        if transition == "settle":
            break
        node, seen_by = EXPECTED[transition]
        tasks = open_tasks_of(dossier)
        assert [t.flow_task.name for t in tasks] == [node], transition
        task = tasks[0]
        assert queues.open_task(dossier) == task
        assert task.flow_task.waits_in == dossier.status
        for name, user in people.items():
            listed = task in queues.open_tasks_for(user)
            assert listed == (name in seen_by), (
                f"after {transition}: {name} {'should' if name in seen_by else 'should not'} see {node}"
            )
            assert queues.in_queue(user, task) == listed

    # settled with a positive balance: the process is over
    dossier.refresh_from_db()
    assert dossier.status == S.CLOSED
    process = DossierProcess.objects.get(dossier=dossier)
    assert process.status == PROCESS.DONE and process.finished is not None
    assert open_tasks_of(dossier) == []
    assert queues.open_task(dossier) is None
    assert history(dossier) == [
        "start",
        "check_eligibility",
        "take_for_instruction",
        "after_take_for_instruction",
        "instruct",
        "after_instruct",
        "correct",
        "after_correct",
        "instruct",
        "after_instruct",
        "schedule",
        "after_schedule",
        "committee",
        "after_committee",
        "sign_agreement",
        "after_sign_agreement",
        "pay_advance",
        "after_pay_advance",
        "final_report",
        "after_final_report",
        "settle",
        "after_settle",
        "end_closed",
    ]


def test_each_task_records_the_transition_that_completed_it(cast, new_dossier):
    dossier = new_dossier()
    walk(cast, dossier, "settle")
    humans = Task.objects.filter(process__dossierprocess__dossier=dossier, flow_task_type="HUMAN").order_by(
        "pk"
    )
    recorded = [(t.flow_task.name, t.data["transition"], t.data["by"], t.owner_id, t.status) for t in humans]
    users = {name: getattr(cast, actor).pk for name, actor, _, _ in MAIN_PATH}
    assert recorded == [
        (
            "take_for_instruction",
            "start_instruction",
            users["start_instruction"],
            users["start_instruction"],
            STATUS.DONE,
        ),
        (
            "instruct",
            "request_corrections",
            users["request_corrections"],
            users["request_corrections"],
            STATUS.DONE,
        ),
        ("correct", "resubmit", users["resubmit"], users["resubmit"], STATUS.DONE),
        (
            "instruct",
            "complete_instruction",
            users["complete_instruction"],
            users["complete_instruction"],
            STATUS.DONE,
        ),
        ("schedule", "schedule", users["schedule"], users["schedule"], STATUS.DONE),
        ("committee", "approve", users["approve"], users["approve"], STATUS.DONE),
        (
            "sign_agreement",
            "accept_agreement",
            users["accept_agreement"],
            users["accept_agreement"],
            STATUS.DONE,
        ),
        ("pay_advance", "pay_advance", users["pay_advance"], users["pay_advance"], STATUS.DONE),
        ("final_report", "submit_report", users["submit_report"], users["submit_report"], STATUS.DONE),
        ("settle", "settle", users["settle"], users["settle"], STATUS.DONE),
    ]
    settle = humans.last()
    assert (
        settle.data["from"] == S.REPORT_SUBMITTED
        and settle.data["to"] == S.CLOSED
        and settle.data["role"] == "finance"
    )
    assert all(t.finished and t.started and t.assigned for t in humans)
    start = Task.objects.get(process__dossierprocess__dossier=dossier, flow_task=DossierFlow.start)
    assert start.data == {"transition": "submit", "by": cast.porteur.pk, "to": S.SUBMITTED}
    check = Task.objects.get(
        process__dossierprocess__dossier=dossier, flow_task=DossierFlow.check_eligibility
    )
    assert check.data["eligibility_run"] == dossier.eligibility_runs.get(moment="submission").pk


def test_withdraw_during_instruction_ends_the_process(cast, new_dossier):
    dossier = new_dossier()
    walk(cast, dossier, "start_instruction")
    act(cast, dossier, "withdraw", "porteur")
    assert dossier.status == S.WITHDRAWN
    process = DossierProcess.objects.get(dossier=dossier)
    assert process.status == PROCESS.DONE
    assert open_tasks_of(dossier) == []
    assert history(dossier)[-3:] == ["instruct", "after_instruct", "end_withdrawn"]
    instruct = Task.objects.filter(process=process, flow_task=DossierFlow.instruct).get()
    assert instruct.data["transition"] == "withdraw" and instruct.owner == cast.porteur
    for user in cast.all().values():
        assert not queues.open_tasks_for(user).exists()


@pytest.mark.parametrize(
    "path, last, ending",
    [
        (
            ["submit"],
            ("declare_ineligible", "instructeur", "Commune de plus de 3 500 habitants."),
            "end_ineligible",
        ),
        (["submit"], ("withdraw", "porteur", ""), "end_withdrawn"),
        (
            ["submit", "start_instruction", "request_corrections"],
            ("withdraw", "porteur", ""),
            "end_withdrawn",
        ),
        (
            ["submit", "start_instruction", "complete_instruction"],
            ("withdraw", "porteur", ""),
            "end_withdrawn",
        ),
        (
            ["submit", "start_instruction", "complete_instruction", "schedule"],
            ("reject", "comite", "Projet insuffisamment construit."),
            "end_rejected",
        ),
    ],
)
def test_other_endings(cast, new_dossier, path, last, ending):
    dossier = new_dossier()
    steps = {t: (a, m, d) for t, a, m, d in MAIN_PATH}
    for transition in path:
        act(cast, dossier, transition, *steps[transition])
    act(cast, dossier, last[0], last[1], last[2])
    assert history(dossier)[-1] == ending
    assert DossierProcess.objects.get(dossier=dossier).status == PROCESS.DONE
    assert open_tasks_of(dossier) == []


def test_committee_loops_and_waiting_list(cast, new_dossier):
    dossier = new_dossier()
    walk(cast, dossier, "schedule")
    act(cast, dossier, "defer", "comite")
    assert [t.flow_task.name for t in open_tasks_of(dossier)] == ["schedule"]
    act(cast, dossier, "reopen_instruction", "instructeur", "Pièce complémentaire reçue.")
    assert [t.flow_task.name for t in open_tasks_of(dossier)] == ["instruct"]
    act(cast, dossier, "complete_instruction", "instructeur", data={"proposed_amount": "4000.00"})
    act(cast, dossier, "schedule", "instructeur")
    Campaign.objects.filter(pk=dossier.campaign_id).update(envelope=Decimal("3000.00"))  # short: waiting list
    act(cast, dossier, "waitlist", "comite")
    (task,) = open_tasks_of(dossier)
    assert task.flow_task.name == "waitlist"
    for user in cast.all().values():  # nobody acts: the system promotes when money frees
        assert not queues.open_tasks_for(user).exists()
    Campaign.objects.filter(pk=dossier.campaign_id).update(envelope=Decimal("10000.00"))
    with transaction.atomic():
        envelope.promote_waiting_list(dossier.campaign_id, trigger="test")
    (task,) = open_tasks_of(dossier)
    assert task.flow_task.name == "sign_agreement" and task in queues.open_tasks_for(cast.porteur)


def test_negative_balance_goes_through_recovery(cast, new_dossier):
    dossier = new_dossier()
    walk(cast, dossier, "submit_report")
    act(cast, dossier, "settle", "finance", data={"balance": "-300.00"})
    assert dossier.status == S.RECOVERY_PENDING
    (task,) = open_tasks_of(dossier)
    assert task.flow_task.name == "recover" and task in queues.open_tasks_for(cast.finance)
    act(cast, dossier, "recover", "finance")
    assert history(dossier)[-3:] == ["recover", "after_recover", "end_closed"]
    assert DossierProcess.objects.get(dossier=dossier).status == PROCESS.DONE


def test_committee_member_never_sees_a_dossier_they_instructed(cast, new_dossier):
    from tests.factories import make_user

    both = make_user(["instructeur", "comite"])
    dossier = new_dossier()
    act(cast, dossier, "submit", "porteur")
    act(cast, dossier, "start_instruction", both)
    act(cast, dossier, "complete_instruction", both, data={"proposed_amount": "5000.00"})
    act(cast, dossier, "schedule", both)
    (task,) = open_tasks_of(dossier)
    assert task.flow_task.name == "committee"
    assert task in queues.open_tasks_for(cast.comite)
    assert task not in queues.open_tasks_for(both)
    assert not queues.in_queue(both, task)


def test_queue_listing_is_one_query(cast, new_dossier, django_assert_num_queries):
    from fonds.accounts.roles import roles_of

    for _ in range(3):
        dossier = new_dossier()
        act(cast, dossier, "submit", "porteur")
    roles_of(cast.instructeur2)  # the roles are read once per request
    with django_assert_num_queries(1):
        rows = [
            (
                queues.dossier_of(t).reference,
                queues.dossier_of(t).commune.name,
                queues.queue_of(t),
                queues.deadline_of(t),
            )
            for t in queues.open_tasks_for(cast.instructeur2)
        ]
    assert len(rows) == 3 and all(row[2] == "instructeur" for row in rows)
    assert queues.counts_for(cast.instructeur2) == {"instructeur": 3}
    assert queues.counts_for(cast.porteur) == {}
    assert queues.open_tasks_for(cast.instructeur2, queue="finance").count() == 0


def test_deadline_of_a_porteur_task(cast, new_dossier):
    dossier = new_dossier()
    walk(cast, dossier, "request_corrections")
    task = queues.open_task(dossier)
    assert queues.deadline_of(task) == dossier.corrections_due
    assert dossier.corrections_due is not None


def test_draft_withdrawn_has_no_process(cast, new_dossier):
    dossier = new_dossier()
    act(cast, dossier, "withdraw", "porteur")
    assert dossier.status == S.WITHDRAWN
    assert not DossierProcess.objects.filter(dossier=dossier).exists()


def test_dossier_without_process_is_adopted_on_its_next_transition(cast, new_dossier):

    from fonds.dossiers.models import Dossier

    dossier = new_dossier()
    Dossier.objects.filter(pk=dossier.pk).update(
        status=S.SUBMITTED, submitted_at=clock.now()
    )  # e.g. a fixture
    act(cast, dossier, "start_instruction", "instructeur")
    assert history(dossier) == ["start", "take_for_instruction", "after_take_for_instruction", "instruct"]
    process = DossierProcess.objects.get(dossier=dossier)
    assert process.data["adopted"] is True and process.data["adopted_in_status"] == S.SUBMITTED
    (task,) = open_tasks_of(dossier)
    assert task.owner == cast.instructeur


def test_adopt_command_gives_a_process_to_waiting_dossiers(cast, new_dossier):
    from django.core.management import call_command

    from fonds.dossiers.models import Dossier

    waiting, draft = new_dossier(), new_dossier()
    Dossier.objects.filter(pk=waiting.pk).update(status=S.IN_COMMITTEE)
    call_command("adopt_dossiers", verbosity=0)
    assert [t.flow_task.name for t in open_tasks_of(waiting)] == ["committee"]
    assert not DossierProcess.objects.filter(dossier=draft).exists()
    call_command("adopt_dossiers", verbosity=0)  # idempotent
    assert DossierProcess.objects.filter(dossier=waiting).count() == 1
    with pytest.raises(ValueError):
        align(draft)


def test_process_changed_outside_the_flow_is_realigned_before_the_transition(cast, new_dossier):
    """The dossier's status is the truth: stray open tasks are cancelled, the right stage opened."""
    from fonds.dossiers.models import Dossier

    dossier = new_dossier()
    walk(cast, dossier, "schedule")  # open stage: committee
    Dossier.objects.filter(pk=dossier.pk).update(status=S.INSTRUCTED)  # a manual correction
    act(cast, dossier, "schedule", "instructeur")
    (task,) = open_tasks_of(dossier)
    assert task.flow_task.name == "committee"
    tasks = Task.objects.filter(process__dossierprocess__dossier=dossier, flow_task_type="HUMAN").order_by(
        "pk"
    )
    cancelled, realigned = (
        tasks.filter(status=STATUS.CANCELED).get(),
        tasks.filter(data__realigned=True).get(),
    )
    assert cancelled.flow_task.name == "committee" and cancelled.data["cancelled"] == "realigned"
    assert realigned.flow_task.name == "schedule" and realigned.data["transition"] == "schedule"


def test_finished_process_is_reopened_when_the_dossier_is_put_back(cast, new_dossier):
    from fonds.dossiers.models import Dossier

    dossier = new_dossier()
    walk(cast, dossier, "start_instruction")
    act(cast, dossier, "withdraw", "porteur")
    Dossier.objects.filter(pk=dossier.pk).update(
        status=S.IN_INSTRUCTION
    )  # e.g. withdrawal annulled by a court
    act(cast, dossier, "complete_instruction", "instructeur", data={"proposed_amount": "5000.00"})
    assert [t.flow_task.name for t in open_tasks_of(dossier)] == ["schedule"]
    assert DossierProcess.objects.get(dossier=dossier).status == PROCESS.NEW


def test_a_flow_that_routes_wrongly_rolls_the_transition_back(cast, new_dossier, monkeypatch):
    from workflows.nodes import StatusIs

    dossier = new_dossier()
    act(cast, dossier, "submit", "porteur")
    route = DossierFlow.after_take_for_instruction
    broken = [
        (DossierFlow.schedule if cond.status == S.IN_INSTRUCTION else node, cond)
        for node, cond in route._activate_next
    ]
    monkeypatch.setattr(route, "_activate_next", broken)
    events = AuditEvent.objects.count()
    with pytest.raises(WorkflowOutOfSync):
        perform(dossier, "start_instruction", by=cast.instructeur)
    monkeypatch.undo()
    dossier.refresh_from_db()
    assert dossier.status == S.SUBMITTED and dossier.instructor is None
    assert AuditEvent.objects.count() == events
    assert [t.flow_task.name for t in open_tasks_of(dossier)] == ["take_for_instruction"]
    assert isinstance(route._activate_next[0][1], StatusIs)
