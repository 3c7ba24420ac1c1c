"""Keep the dossier's process in step with its state machine, in the transition's transaction.

``perform`` sends ``dossier_transitioned``: ``submit`` starts the process, any other transition
completes the open stage (actor recorded) and the flow's ``Route`` follows the new status. The
status is the truth; the process its projection into work queues. Before completing, `align`
adopts or realigns a process whose dossier was changed outside ``perform`` (logged, marked on the
tasks); after, `check_in_sync` raises ``WorkflowOutOfSync`` (a flow bug: all rolled back).
``python manage.py adopt_dossiers`` aligns every waiting dossier without a process. The receiver
of the signal is ``workflows.handlers``; a chunk of ``perform_many`` moves in ``workflows.batch``.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils.timezone import now
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from fonds.dossiers.states import FINAL_STATUSES, Status

from .flows import DossierFlow
from .models import DossierProcess
from .nodes import OPEN_TASK_STATUSES

logger = logging.getLogger("workflows.handlers")  # the name the logs have always carried


class WorkflowOutOfSync(RuntimeError):
    """After a transition, the process does not mirror the dossier (a flow bug: rolled back)."""


def open_stage_tasks(process_pk: int):
    return Task.objects.filter(
        process_id=process_pk, flow_task_type="HUMAN", status__in=OPEN_TASK_STATUSES
    ).order_by("pk")


def start_process(dossier, *, by=None) -> DossierProcess:
    """Start the process of a dossier that has just been submitted."""
    if DossierProcess.objects.filter(dossier_id=dossier.pk).exists():
        raise WorkflowOutOfSync(
            f"Le dossier {dossier.reference} vient d'être déposé mais a déjà un processus."
        )
    process = DossierFlow.start.run(dossier=dossier, by=by)
    check_in_sync(dossier)
    return process


def advance_process(
    dossier, *, transition: str, by=None, role: str = "", source: str = "", target: str = ""
) -> None:
    """Complete the stage the dossier just left; the flow then routes on its new status."""
    if source == Status.DRAFT and not DossierProcess.objects.filter(dossier_id=dossier.pk).exists():
        return  # a draft withdrawn before submission never had a process
    task = align(dossier, status=source)
    with task.activation() as activation:
        activation.close(transition=transition, by=by, role=role, source=source, target=target)
    check_in_sync(dossier)


def align(dossier, *, status: str | None = None) -> Task:
    """Make the process of ``dossier`` wait in the stage of ``status``; return that open task.

    ``status`` defaults to the dossier's current status. Creates the process if there is none
    (adoption), cancels open tasks of another stage and opens the right one (realignment),
    re-opens a finished process if needed. Uses viewflow's activation API throughout, so the
    task history shows what happened.
    """
    flow_class = DossierFlow
    status = status or dossier.status
    stage = flow_class.stage_for(status)
    if stage is None:
        raise ValueError(f"Aucune étape du processus pour le statut « {status} ».")
    process = DossierProcess.objects.filter(dossier_id=dossier.pk).first()
    if process is None:
        return _adopt(flow_class, dossier, stage, status)
    tasks = list(open_stage_tasks(process.pk))
    if len(tasks) == 1 and tasks[0].flow_task is stage:
        return tasks[0]
    return _realign(flow_class, dossier, process, tasks, stage, status)


def _adopt(flow_class, dossier, stage, status) -> Task:
    logger.warning(
        "Dossier %s (%s) sans processus : processus créé à l'étape %s.", dossier.reference, status, stage.name
    )
    start = flow_class.start
    activation = start.activation_class.create(start, None, None)
    activation.process.dossier = dossier
    activation.process.data = {"adopted": True, "adopted_in_status": status}
    activation.task.data = {"adopted": True, "status": status}
    with transaction.atomic():
        activation.process.save()
        activation.task.process = activation.process
        with flow_class.lock(activation.process.pk):
            activation.complete()
            return stage._create(activation, activation.task.token).task


def _realign(flow_class, dossier, process, tasks, stage, status) -> Task:
    found = ", ".join(t.flow_task.name for t in tasks) or "aucune"
    logger.warning(
        "Dossier %s (%s) : étapes ouvertes %s, réalignées sur %s.",
        dossier.reference,
        status,
        found,
        stage.name,
    )
    with flow_class.lock(process.pk):
        for task in tasks:
            task.status = STATUS.CANCELED
            task.finished = now()
            task.data = {**(task.data or {}), "cancelled": "realigned", "dossier_status": status}
            task.save()
        if process.status != PROCESS.NEW:
            process.status, process.finished = PROCESS.NEW, None
            process.save(update_fields=["status", "finished"])
        last = Task.objects.filter(process_id=process.pk).order_by("-pk").first()
        previous = last.flow_task.activation_class(last)
        new = stage._create(previous, last.token).task
        new.data = {**(new.data or {}), "realigned": True, "replaced": found}
        new.save(update_fields=["data"])
        return new


def check_in_sync(dossier, *, flow_class=None) -> None:
    """Raise ``WorkflowOutOfSync`` unless the process mirrors ``dossier.status``."""
    flow_class = flow_class or DossierFlow
    process = DossierProcess.objects.filter(dossier_id=dossier.pk).first()
    tasks = list(open_stage_tasks(process.pk)) if process is not None else []
    problem = _sync_problem(dossier, process, tasks, flow_class)
    if problem:
        raise WorkflowOutOfSync(problem)


def _sync_problem(dossier, process, tasks, flow_class) -> str | None:
    """Why the process (and its open stage tasks) does not mirror ``dossier.status``, or None."""
    status = dossier.status
    if process is None:
        if status == Status.DRAFT or (status == Status.WITHDRAWN and dossier.submitted_at is None):
            return None  # drafts, and drafts withdrawn before submission, have no process
        return f"Le dossier {dossier.reference} ({status}) n'a pas de processus."
    if status in FINAL_STATUSES:
        if tasks or process.status != PROCESS.DONE:
            return f"Le dossier {dossier.reference} est « {status} » mais son processus n'est pas terminé."
        return None
    expected = flow_class.stage_for(status)
    if len(tasks) != 1 or tasks[0].flow_task is not expected:
        found = ", ".join(t.flow_task.name for t in tasks) or "aucune"
        return (
            f"Le dossier {dossier.reference} est « {status} » : "
            f"étape attendue {expected.name if expected else '—'}, étapes ouvertes : {found}."
        )
    return None


def check_in_sync_many(dossiers, *, flow_class=None) -> None:
    """`check_in_sync` for many dossiers, with two queries."""
    flow_class = flow_class or DossierFlow
    processes = {
        p.dossier_id: p
        for p in DossierProcess.objects.filter(dossier_id__in=[d.pk for d in dossiers]).only(
            "pk", "status", "dossier_id"
        )
    }
    tasks = _open_stage_tasks_of([p.pk for p in processes.values()])
    for dossier in dossiers:
        process = processes.get(dossier.pk)
        problem = _sync_problem(dossier, process, tasks.get(process.pk, []) if process else [], flow_class)
        if problem:
            raise WorkflowOutOfSync(problem)


def _open_stage_tasks_of(process_pks) -> dict:
    found: dict = {}
    for task in Task.objects.filter(
        process_id__in=process_pks, flow_task_type="HUMAN", status__in=OPEN_TASK_STATUSES
    ).order_by("pk"):
        found.setdefault(task.process_id, []).append(task)
    return found


# ---- the same moves for a chunk of dossiers (perform_many) -----------------------------------
