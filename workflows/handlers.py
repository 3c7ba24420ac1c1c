"""Keep the dossier's process in step with its state machine.

``fonds.dossiers.services.perform`` sends ``dossier_transitioned`` inside its transaction, after
the status change and its audit event. This handler runs in that same transaction:

* ``submit`` starts the dossier's process (``DossierFlow.start``). Drafts have no process (a draft
  withdrawn before submission never gets one).
* Any other transition completes the dossier's open stage — the one waiting in the transition's
  *source* status — as done by the actor (None: the system), and the flow's ``Route`` moves on
  according to the *target* status.

The dossier's status is the truth (it is audited); the process is its projection into work
queues. Two checks keep them together:

* **Before** completing, the process is *aligned* on the source status (`align`). Normally it
  already is and nothing happens. When the status was set outside ``perform`` — a fixture, an
  import, a dossier submitted before this app existed, a manual correction — the process is
  created ("adopted") or its stray open tasks are cancelled and the right stage is opened
  ("realigned"). Both are recorded on the tasks (``{"adopted": true}`` / ``{"realigned": true}``)
  and logged as warnings, so the data fix is visible instead of blocking the mayor's action.
* **After** completing, `check_in_sync` requires that either the process is finished and the
  dossier final, or exactly one stage is open and it waits in the new status. A failure here is a
  bug of the flow definition: ``WorkflowOutOfSync`` is raised and the whole transition (status,
  audit event, process) is rolled back.

``python manage.py adopt_dossiers`` applies `align` to every waiting dossier without a process.
"""
from __future__ import annotations

import logging

from django.db import transaction
from django.utils.timezone import now
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from fonds.dossiers.states import FINAL_STATUSES, Status

from .models import DossierProcess
from .nodes import OPEN_TASK_STATUSES

logger = logging.getLogger(__name__)


class WorkflowOutOfSync(RuntimeError):
    """After a transition, the process does not mirror the dossier (a flow bug: rolled back)."""


def _flow():
    from .flows import DossierFlow

    return DossierFlow


def open_stage_tasks(process_pk: int):
    return Task.objects.filter(process_id=process_pk, flow_task_type="HUMAN", status__in=OPEN_TASK_STATUSES).order_by("pk")


def on_dossier_transitioned(sender, *, dossier, transition, by=None, role="", source="", target="", **kwargs):
    """Receiver of ``fonds.dossiers.signals.dossier_transitioned``."""
    if transition == "submit":
        start_process(dossier, by=by)
    else:
        advance_process(dossier, transition=transition, by=by, role=role, source=source, target=target)


def start_process(dossier, *, by=None) -> DossierProcess:
    """Start the process of a dossier that has just been submitted."""
    if DossierProcess.objects.filter(dossier_id=dossier.pk).exists():
        raise WorkflowOutOfSync(f"Le dossier {dossier.reference} vient d'être déposé mais a déjà un processus.")
    process = _flow().start.run(dossier=dossier, by=by)
    check_in_sync(dossier)
    return process


def advance_process(dossier, *, transition: str, by=None, role: str = "", source: str = "", target: str = "") -> None:
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
    flow_class = _flow()
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
    logger.warning("Dossier %s (%s) sans processus : processus créé à l'étape %s.", dossier.reference, status, stage.name)
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
    logger.warning("Dossier %s (%s) : étapes ouvertes %s, réalignées sur %s.", dossier.reference, status, found, stage.name)
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
    flow_class = flow_class or _flow()
    process = DossierProcess.objects.filter(dossier_id=dossier.pk).first()
    status = dossier.status
    if process is None:
        if status == Status.DRAFT or (status == Status.WITHDRAWN and dossier.submitted_at is None):
            return  # drafts, and drafts withdrawn before submission, have no process
        raise WorkflowOutOfSync(f"Le dossier {dossier.reference} ({status}) n'a pas de processus.")
    tasks = list(open_stage_tasks(process.pk))
    if status in FINAL_STATUSES:
        if tasks or process.status != PROCESS.DONE:
            raise WorkflowOutOfSync(f"Le dossier {dossier.reference} est « {status} » mais son processus n'est pas terminé.")
        return
    expected = flow_class.stage_for(status)
    if len(tasks) != 1 or tasks[0].flow_task is not expected:
        found = ", ".join(t.flow_task.name for t in tasks) or "aucune"
        raise WorkflowOutOfSync(
            f"Le dossier {dossier.reference} est « {status} » : étape attendue {expected.name if expected else '—'}, étapes ouvertes : {found}."
        )
