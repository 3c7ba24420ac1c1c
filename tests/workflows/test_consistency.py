"""The flow and the dossier state machine describe the same life: checked statically, for every status."""

import pytest

from fonds.dossiers.services import TRANSITIONS
from fonds.dossiers.states import FINAL_STATUSES, SYSTEM_ROLE, Status
from workflows.flows import DossierFlow
from workflows.nodes import Ending, Route, Stage, fsm_exits

WAITING = [s for s in Status if s != Status.DRAFT and s not in FINAL_STATUSES]


def test_every_waiting_status_has_exactly_one_stage():
    stages = DossierFlow.stages()
    assert sorted(s.waits_in for s in stages) == sorted(WAITING)


@pytest.mark.parametrize("stage", DossierFlow.stages(), ids=lambda s: s.name)
def test_every_exit_of_a_stage_is_routed_to_where_the_dossier_waits(stage):
    route = stage._next
    assert isinstance(route, Route), f"{stage.name} must be followed by a Route"
    targets = route.targets()
    reachable = set()
    for exit_ in fsm_exits(stage.waits_in):
        for target in exit_["targets"]:
            reachable.add(target)
            node = targets.get(target)
            assert node is not None, (
                f"{stage.name}: « {exit_['name']} » leads to {target} which {route.name} does not route"
            )
            if target in FINAL_STATUSES:
                assert isinstance(node, Ending) and node.outcome == target
            else:
                assert isinstance(node, Stage) and node.waits_in == target
    assert set(targets) == reachable, (
        f"{route.name} routes statuses no transition of {stage.waits_in} leads to"
    )


@pytest.mark.parametrize("stage", DossierFlow.stages(), ids=lambda s: s.name)
def test_every_queue_of_a_stage_can_act_on_it(stage):
    actors = {role for exit_ in fsm_exits(stage.waits_in) for role in exit_["roles"]}
    for role in stage.roles:
        assert role in actors, f"{stage.name} lands in the {role} queue, but no {role} may move it on"


def test_every_transition_except_submit_leaves_a_stage():
    sources = {status for entry in TRANSITIONS.values() for status in entry["sources"]}
    for status in sources - {Status.DRAFT}:
        assert DossierFlow.stage_for(status) is not None
    for status in FINAL_STATUSES:
        assert any(isinstance(n, Ending) and n.outcome == status for n in DossierFlow.instance.nodes())


def test_system_forum_transitions_are_the_deadlines_and_the_agenda_repair():
    from fonds.dossiers.states import Forum
    from workflows.tasks import DEADLINES

    system = {name for name, entry in TRANSITIONS.items() if Forum.SYSTEM in entry["custom"]["forums"]}
    assert system == {transition for transition, *_ in DEADLINES} | {"unschedule"}
    assert TRANSITIONS["unschedule"]["custom"]["forums"][Forum.SYSTEM] == (SYSTEM_ROLE,)
    for _transition, status, field, *_ in DEADLINES:
        assert DossierFlow.stage_for(status).deadline_field == field


def test_lock_is_a_row_lock_on_postgresql(settings):
    from viewflow.workflow import lock

    expected = lock.select_for_update_lock if settings.IS_POSTGRES else lock.no_lock
    assert DossierFlow.lock_impl is expected
