"""PostgreSQL: two instructors take the same dossier at once — one wins, the process moves once."""

import threading

import pytest
from django.db import connection

from fonds.dossiers.services import TransitionRefused, perform
from fonds.dossiers.states import Status

from .conftest import act, open_tasks_of


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_start_instruction_moves_the_process_once(cast, new_dossier):
    dossier = new_dossier()
    act(cast, dossier, "submit", "porteur")
    barrier = threading.Barrier(2)
    outcomes = []

    def take(user):
        try:
            barrier.wait(timeout=10)
            perform(dossier.pk, "start_instruction", by=user)
            outcomes.append("ok")
        except TransitionRefused as exc:
            outcomes.append(exc.kind)
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=take, args=(user,)) for user in (cast.instructeur, cast.instructeur2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["ok", "status"]
    dossier.refresh_from_db()
    assert dossier.status == Status.IN_INSTRUCTION
    (task,) = open_tasks_of(dossier)
    assert task.flow_task.name == "instruct" and task.owner_id == dossier.instructor_id
