"""workflows.tasks.expire_deadlines: overdue corrections close the dossier, an unaccepted agreement lapses."""

import datetime as dt

from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS

from fonds import clock
from fonds.audit.models import AuditEvent
from fonds.dossiers.models import Dossier
from fonds.dossiers.states import Status
from workflows.models import DossierProcess
from workflows.tasks import expire_deadlines

from .conftest import history, open_tasks_of, walk

S = Status


def _overdue(dossier, field, days=1):
    Dossier.objects.filter(pk=dossier.pk).update(**{field: clock.now() - dt.timedelta(days=days)})


def test_expire_deadlines_closes_and_lapses_overdue_dossiers_once(cast, new_dossier):
    late_corrections = walk(cast, new_dossier(), "request_corrections")
    _overdue(late_corrections, "corrections_due")
    pending_corrections = walk(cast, new_dossier(), "request_corrections")  # due in 15 days
    late_agreement = walk(cast, new_dossier(), "approve")
    _overdue(late_agreement, "agreement_due", days=2)
    pending_agreement = walk(cast, new_dossier(), "approve")  # due in 30 days

    assert expire_deadlines() == {"closed_without_follow_up": 1, "lapsed": 1, "errors": 0}

    for dossier, status, ending, stage in [
        (late_corrections, S.CLOSED_WITHOUT_FOLLOW_UP, "end_closed_without_follow_up", "correct"),
        (late_agreement, S.LAPSED, "end_lapsed", "sign_agreement"),
    ]:
        dossier.refresh_from_db()
        assert dossier.status == status
        assert history(dossier)[-1] == ending
        assert DossierProcess.objects.get(dossier=dossier).status == PROCESS.DONE
        task = (
            Task.objects.filter(process__dossierprocess__dossier=dossier, flow_task_type="HUMAN")
            .order_by("pk")
            .last()
        )
        assert task.flow_task.name == stage
        assert task.data["by"] is None and task.data["role"] == "system" and task.owner_id is None
        event = (
            AuditEvent.objects.filter(object_type="dossiers.dossier", object_id=str(dossier.pk))
            .order_by("seq")
            .last()
        )
        assert event.actor_id is None and event.actor_role == "system"
        assert "expiré le" in event.canonical or "caduque" in event.canonical

    for dossier, status, stage in [
        (pending_corrections, S.CORRECTIONS_REQUESTED, "correct"),
        (pending_agreement, S.APPROVED, "sign_agreement"),
    ]:
        dossier.refresh_from_db()
        assert dossier.status == status
        assert [t.flow_task.name for t in open_tasks_of(dossier)] == [stage]

    events = AuditEvent.objects.count()
    assert expire_deadlines() == {"closed_without_follow_up": 0, "lapsed": 0, "errors": 0}
    assert AuditEvent.objects.count() == events


def test_a_deadline_moved_meanwhile_is_left_alone(cast, new_dossier):
    """The due date is re-read under the row lock, not trusted from the search."""
    from workflows import tasks

    dossier = walk(cast, new_dossier(), "request_corrections")
    now = clock.now()
    assert (
        tasks._expire_one(
            dossier.pk, "expire_corrections", S.CORRECTIONS_REQUESTED, "corrections_due", "{due}", now
        )
        is False
    )
    dossier.refresh_from_db()
    assert dossier.status == S.CORRECTIONS_REQUESTED


def test_expire_deadlines_is_the_scheduled_celery_task(settings):
    from fonds.celery import app

    assert expire_deadlines.name == "workflows.tasks.expire_deadlines"
    assert "workflows.tasks.expire_deadlines" in app.tasks
    assert settings.CELERY_BEAT_SCHEDULE["expire-deadlines-hourly"]["task"] == expire_deadlines.name


def test_expire_deadlines_accepts_a_serialised_now(cast, new_dossier):
    dossier = walk(cast, new_dossier(), "request_corrections")
    later = (dossier.corrections_due + dt.timedelta(minutes=1)).isoformat()
    assert expire_deadlines(now=later)["closed_without_follow_up"] == 1
