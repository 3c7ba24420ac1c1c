"""Who has what to do: the open tasks of the dossier processes, per user and per dossier.

The UI and the API read the queues here, never viewflow's ``Task.objects.user_queue`` (which only
knows Django permissions, not the porteur's commune nor the recusal rule).

* ``open_tasks_for(user)`` — the user's to-do list: the open tasks of every stage whose queue
  matches one of the user's roles (see ``Stage.in_queue``): instructors see the instruction
  queue, a porteur the tasks of its own commune's dossiers only, a committee member the dossiers
  in committee they did not instruct, finance the payment queue, an administrator the waiting
  list and the scheduling. A task assigned to someone (e.g. "instruct", assigned to the
  instructor who took the dossier) is in that person's list only.
* ``open_task(dossier)`` — the dossier's current task (None for drafts and finished dossiers).
* ``queue_of(task)``, ``stage_of(task)``, ``dossier_of(task)``, ``deadline_of(task)`` — what a
  row of a task list shows.
* ``counts_for(user)`` — number of open tasks per queue, for a dashboard badge.

A committee member recused on a dossier (a conflict declared on one of its agenda items, see
``fonds.dossiers.access.recused_dossiers``) never has its committee task, in the lists nor in the
counts: they may neither read its deliberation nor vote on it. The task stays in the lists of
the other members.

Every queryset is one SQL query with the task, its dossier, commune, campaign and owner joined
(``select_related``), ordered oldest first.
"""

from __future__ import annotations

from collections import Counter

from django.db.models import Count, Q, QuerySet
from viewflow.workflow.fields import get_task_ref
from viewflow.workflow.models import Task

from fonds.accounts.roles import Role, roles_of
from fonds.dossiers.access import recused_dossiers

from .flows import DossierFlow
from .nodes import OPEN_TASK_STATUSES, QUEUE_LABELS, TASK_DOSSIER, Stage

__all__ = [
    "QUEUE_LABELS",
    "open_tasks",
    "open_tasks_for",
    "open_task",
    "in_queue",
    "stage_of",
    "queue_of",
    "dossier_of",
    "deadline_of",
    "counts_for",
]


def open_tasks() -> QuerySet:
    """Every open task of every dossier process."""
    return (
        Task.objects.filter(flow_task__in=DossierFlow.stages(), status__in=OPEN_TASK_STATUSES)
        .select_related("owner", "process", f"{TASK_DOSSIER}__commune", f"{TASK_DOSSIER}__campaign")
        .order_by("created", "pk")
    )


def open_tasks_for(user, *, queue: str | None = None) -> QuerySet:
    """The open tasks ``user`` is expected to act on (optionally: only those of one ``queue``)."""
    if not getattr(user, "is_authenticated", False):
        return Task.objects.none()
    condition = None
    recused = None
    for stage in DossierFlow.stages():
        if queue is not None and stage.queue != queue:
            continue
        part = stage.queue_filter(user)
        if part is None:
            continue
        if _through_committee_only(user, stage):
            recused = recused_dossiers(user) if recused is None else recused
            part &= ~Q(**{f"{TASK_DOSSIER}__in": recused})
        condition = part if condition is None else condition | part
    if condition is None:
        return Task.objects.none()
    return open_tasks().filter(condition)


def open_task(dossier) -> Task | None:
    """The dossier's open task, or None (draft, finished, or no process)."""
    pk = getattr(dossier, "pk", dossier)
    return open_tasks().filter(**{f"{TASK_DOSSIER}_id": pk}).first()


def stage_of(task) -> Stage:
    return task.flow_task


def queue_of(task) -> str:
    """The role whose queue the task is in (``Role`` value)."""
    return task.flow_task.queue


def dossier_of(task):
    return task.process.dossierprocess.dossier


def deadline_of(task):
    """The task's due date (a datetime or a date), or None."""
    return task.flow_task.deadline(dossier_of(task))


def in_queue(user, task) -> bool:
    """Whether ``task`` is in one of ``user``'s queues (same rule as ``open_tasks_for``)."""
    if task.status not in OPEN_TASK_STATUSES or not isinstance(task.flow_task, Stage):
        return False
    dossier = dossier_of(task)
    if not task.flow_task.in_queue(user, dossier, owner_id=task.owner_id):
        return False
    if not _through_committee_only(user, task.flow_task):
        return True
    return not recused_dossiers(user).filter(pk=dossier.pk).exists()


def _through_committee_only(user, stage) -> bool:
    """``user`` finds this stage's tasks in their list as a committee member and through no other
    of their roles: the recusal rule applies to them."""
    held = roles_of(user)
    if Role.COMITE not in held or Role.COMITE not in stage.roles:
        return False
    return not held & (set(stage.roles) - {Role.COMITE})


def counts_for(user) -> dict[str, int]:
    """``{queue (role): number of open tasks}`` for ``user`` (queues with no task omitted).

    One grouped query (``GROUP BY flow_task``): one row per stage, whatever the number of tasks,
    and no join (``open_tasks_for``'s ``select_related`` and ordering are dropped)."""
    rows = (
        open_tasks_for(user)
        .select_related(None)
        .order_by()
        .values_list("flow_task")
        .annotate(n=Count("pk"))
        .values_list("flow_task", "n")
    )
    by_node: Counter = Counter()
    for node, n in rows:
        by_node[node] += n
    counts: Counter = Counter()
    for stage in DossierFlow.stages():
        count = by_node.get(stage) or by_node.get(get_task_ref(stage)) or 0
        if count:
            counts[stage.queue] += count
    return dict(counts)
