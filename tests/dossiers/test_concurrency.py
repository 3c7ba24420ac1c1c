"""On PostgreSQL, two concurrent transitions on one dossier: one wins, the other gets a clear conflict."""

import threading

import pytest
from django.db import close_old_connections, connection

from fonds.audit.chain import verify
from fonds.audit.models import AuditEvent
from fonds.dossiers.models import Dossier
from fonds.dossiers.services import TransitionRefused, perform
from fonds.dossiers.states import Status
from tests.factories import make_dossier, make_user


def _race(calls):
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, fn):
        try:
            barrier.wait(timeout=10)
            results[i] = ("ok", fn())
        except TransitionRefused as refused:
            results[i] = ("refused", refused)
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            results[i] = ("error", exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_instructors_take_the_same_dossier_one_wins_one_conflict():
    dossier = make_dossier()
    perform(dossier, "submit", by=dossier.created_by)
    first, second = make_user("instructeur"), make_user("instructeur")
    results = _race(
        [
            lambda: perform(dossier.pk, "start_instruction", by=first),
            lambda: perform(dossier.pk, "start_instruction", by=second),
        ]
    )
    outcomes = sorted(r[0] for r in results)
    assert outcomes == ["ok", "refused"], results
    refused = next(r[1] for r in results if r[0] == "refused")
    assert refused.kind in ("status", "conflict") and refused.http_status == 409
    assert "instruction" in refused.message or "modifié" in refused.message
    assert Dossier.objects.get(pk=dossier.pk).status == Status.IN_INSTRUCTION
    assert AuditEvent.objects.filter(action="start_instruction").count() == 1
    result = verify()
    assert result.ok, result


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_withdraw_races_start_instruction_and_the_chain_stays_linear():
    dossier = make_dossier()
    perform(dossier, "submit", by=dossier.created_by)
    instructor = make_user("instructeur")
    results = _race(
        [
            lambda: perform(dossier.pk, "start_instruction", by=instructor),
            lambda: perform(dossier.pk, "withdraw", by=dossier.created_by),
        ]
    )
    assert all(r[0] in ("ok", "refused") for r in results), results
    final = Dossier.objects.get(pk=dossier.pk).status
    # withdraw is allowed from submitted and in_instruction: both may succeed, in either order
    assert final in (Status.WITHDRAWN, Status.IN_INSTRUCTION)
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    assert verify().ok
