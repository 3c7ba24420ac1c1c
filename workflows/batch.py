"""The process moves of a chunk of dossiers (``perform_many``, bulk actions): the rows
`workflows.process` writes one dossier at a time, in a few multi-row statements."""

from __future__ import annotations

import logging
from types import SimpleNamespace

from django.conf import settings
from django.db import connection
from django.db.models import prefetch_related_objects
from django.utils.timezone import now
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import PROCESS, STATUS
from viewflow.workflow.token import Token

from fonds.dossiers.states import Status
from fonds.sql import insert_rows, update_rows

from .flows import DossierFlow
from .models import DossierProcess
from .nodes import Ending, Stage, _actor
from .process import WorkflowOutOfSync, _open_stage_tasks_of, advance_process, check_in_sync_many

logger = logging.getLogger("workflows.handlers")  # as workflows.process


_TASK_FIELDS = [
    "process",
    "flow_task",
    "flow_task_type",
    "status",
    "created",
    "assigned",
    "started",
    "finished",
    "token",
    "owner",
    "owner_permission",
    "owner_permission_content_type",
    "owner_permission_obj_pk",
    "data",
]
_PROCESS_FIELDS = ["flow_class", "status", "created", "finished", "data"]


def _insert(model, objs: list, names: list[str]) -> None:
    """Insert unsaved ``objs`` (multi-row INSERT, see ``fonds.sql``) and give them their pk."""

    attnames = [model._meta.get_field(name).attname for name in names]
    ids = insert_rows(
        model, names, [tuple(getattr(obj, attname) for attname in attnames) for obj in objs], returning=True
    )
    for obj, pk in zip(objs, ids):
        obj.pk = pk
        obj._state.adding = False


def _task(node, created, token, *, data=None, **fields) -> Task:
    """An unsaved viewflow task of ``node`` (``fields``: its process, status, owner, times…)."""
    return Task(
        flow_task=node,
        flow_task_type=node.task_type,
        created=created,
        token=token,
        data={} if data is None else data,
        **fields,
    )


def _as_activation(node, dossier):
    """What a node's ``calc_owner`` / ``calc_owner_permission`` read of an activation."""
    return SimpleNamespace(process=SimpleNamespace(dossier=dossier), task=None, flow_task=node)


def advance_many(items: list[dict]) -> None:
    """`advance_process` for a chunk of dossiers (the items deferred by `on_dossier_transitioned`):
    the same rows (adoption, closed stage, route, next stage or ending, ``previous`` links) in a
    few multi-row statements instead of ~30 queries per dossier. A dossier needing realignment
    goes through `advance_process`; `check_in_sync_many` checks them all afterwards. viewflow's
    task signals are not sent (nothing listens to them).
    """
    flow_class = DossierFlow
    flow = flow_class.instance
    dossiers = [item["dossier"] for item in items]
    query = DossierProcess.objects.filter(dossier_id__in=[d.pk for d in dossiers])
    if settings.IS_POSTGRES:
        query = query.select_for_update()  # as the flow's lock (dossier rows are locked first)
    processes = {p.dossier_id: p for p in query}
    open_tasks = _open_stage_tasks_of([p.pk for p in processes.values()])
    now_ = now()

    adopting, closing, slow = [], [], []
    for item in items:
        dossier, source = item["dossier"], item["source"]
        process = processes.get(dossier.pk)
        if source == Status.DRAFT and process is None:
            continue  # a draft withdrawn before submission never had a process
        stage = flow_class.stage_for(source)
        if stage is None:
            slow.append(item)  # `align` raises the error
        elif process is None:
            adopting.append((item, stage))
        else:
            tasks = open_tasks.get(process.pk, [])
            if len(tasks) == 1 and tasks[0].flow_task is stage:
                closing.append((item, process, tasks[0]))
            else:
                slow.append(item)

    def owner_permission(node, dossier):
        activation = _as_activation(node, dossier)
        return node.calc_owner_permission(activation), node.calc_owner_permission_obj(activation)

    def closed_data(task_data, item):
        actor = _actor(item["by"])
        return actor, {
            **(task_data or {}),
            "transition": item["transition"],
            "by": actor.pk if actor else None,
            "role": item["role"],
            "from": item["source"],
            "to": item["target"],
        }

    # 1. adoption: process, done start task, stage task (completed at once below)
    links = []  # (task, previous task)
    if adopting:
        new_processes = [
            Process(
                flow_class=flow_class,
                status=PROCESS.NEW,
                created=now_,
                data={"adopted": True, "adopted_in_status": item["source"]},
            )
            for item, _ in adopting
        ]
        _insert(Process, new_processes, _PROCESS_FIELDS)
        table, ptr, dossier_col = (
            DossierProcess._meta.db_table,
            DossierProcess._meta.pk.column,
            DossierProcess._meta.get_field("dossier").column,
        )
        pairs = [(p.pk, item["dossier"].pk) for p, (item, _) in zip(new_processes, adopting)]
        with connection.cursor() as cursor:
            for start in range(0, len(pairs), 500):
                batch = pairs[start : start + 500]
                cursor.execute(
                    f"INSERT INTO {table} ({ptr}, {dossier_col}) VALUES "
                    + ", ".join(["(%s, %s)"] * len(batch)),
                    [value for pair in batch for value in pair],
                )
        starts = [
            _task(
                flow.start,
                now_,
                Token("start"),
                process=p,
                status=STATUS.DONE,
                started=now_,
                finished=now_,
                data={"adopted": True, "status": item["source"]},
            )
            for p, (item, _) in zip(new_processes, adopting)
        ]
        _insert(Task, starts, _TASK_FIELDS)
        adopted_stages = []
        for p, start, (item, stage) in zip(new_processes, starts, adopting):
            logger.warning(
                "Dossier %s (%s) sans processus : processus créé à l'étape %s.",
                item["dossier"].reference,
                item["source"],
                stage.name,
            )
            permission, permission_obj = owner_permission(stage, item["dossier"])
            actor, data = closed_data({}, item)
            task = _task(
                stage,
                now_,
                start.token,
                process=p,
                status=STATUS.DONE,
                assigned=now_,
                started=now_,
                finished=now_,
                owner=actor,
                owner_permission=permission or None,
                data=data,
            )
            if permission_obj is not None:
                task.owner_permission_obj = permission_obj
            adopted_stages.append(task)
            links.append((task, start))
        _insert(Task, adopted_stages, _TASK_FIELDS)
        closing_done = [(item, p, t) for p, t, (item, _) in zip(new_processes, adopted_stages, adopting)]
    else:
        closing_done = []

    # 2. complete the open stage task (StageActivation.close)
    updated = []
    for item, _process, task in closing:
        if task.status == STATUS.NEW:
            task.assigned = now_
        task.owner, task.data = closed_data(task.data, item)
        task.started = task.finished = now_
        task.status = STATUS.DONE
        updated.append(task)
    if updated:
        update_rows(
            Task,
            {
                t.pk: {
                    "status": t.status,
                    "owner": t.owner_id,
                    "assigned": t.assigned,
                    "started": t.started,
                    "finished": t.finished,
                    "data": t.data,
                }
                for t in updated
            },
        )

    # 3. the Route's task, then the next stage or the ending
    routed = closing_done + closing
    switches, nexts, ended = [], [], []
    for _item, process, task in routed:
        route = task.flow_task._next
        switch = _task(route, now_, task.token, process_id=process.pk, status=STATUS.DONE, finished=now_)
        switches.append(switch)
        links.append((switch, task))
    _insert(Task, switches, _TASK_FIELDS)
    # the next stage's ``assign`` reads the dossier's instructor: one query for the chunk
    unloaded = [
        item["dossier"]
        for item, _, _ in routed
        if item["dossier"].instructor_id and "instructor" not in item["dossier"]._state.fields_cache
    ]
    if unloaded:
        prefetch_related_objects(unloaded, "instructor")
    for (item, process, task), switch in zip(routed, switches):
        dossier = item["dossier"]
        node = task.flow_task._next.targets().get(dossier.status)
        if isinstance(node, Stage):
            permission, permission_obj = owner_permission(node, dossier)
            owner = node.calc_owner(_as_activation(node, dossier))
            nxt = _task(
                node,
                now_,
                switch.token,
                process_id=process.pk,
                owner_permission=permission or None,
                status=STATUS.NEW,
            )
            if permission_obj is not None:
                nxt.owner_permission_obj = permission_obj
            if owner:
                nxt.owner, nxt.status, nxt.assigned = owner, STATUS.ASSIGNED, now_
        elif isinstance(node, Ending):
            nxt = _task(
                node,
                now_,
                switch.token,
                process_id=process.pk,
                status=STATUS.DONE,
                started=now_,
                finished=now_,
            )
            ended.append(process.pk)
        else:
            raise WorkflowOutOfSync(
                f"Le dossier {dossier.reference} est « {dossier.status} » : "
                f"aucune suite prévue après {task.flow_task.name}."
            )
        nexts.append(nxt)
        links.append((nxt, switch))
    _insert(Task, nexts, _TASK_FIELDS)
    if ended:
        Process.objects.filter(pk__in=ended).update(status=PROCESS.DONE, finished=now_)
    Through = Task.previous.through
    insert_rows(Through, ["from_task", "to_task"], [(t.pk, prev.pk) for t, prev in links])

    # 4. the dossiers the bulk path does not cover: one by one, as perform would
    for item in slow:
        advance_process(
            item["dossier"],
            transition=item["transition"],
            by=item["by"],
            role=item["role"],
            source=item["source"],
            target=item["target"],
        )
    check_in_sync_many(dossiers, flow_class=flow_class)
