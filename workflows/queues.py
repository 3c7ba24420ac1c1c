"""Who has what to do: the open tasks of the dossier processes, per user and per dossier. The pages
read them here (through ``fonds.ui.worklist``), never through viewflow's ``user_queue``, which
knows neither the porteur's commune nor the recusal rule.

``open_tasks_for(user)`` (a task assigned to someone is in their list only), ``open_task(dossier)``,
``counts_for(user)``; a recused committee member never gets the dossier's committee task. Each
queryset is one query, related rows joined, oldest first.
"""

from __future__ import annotations

from collections import Counter

from django.db.models import Count, Q, QuerySet
from viewflow.workflow.fields import get_task_ref
from viewflow.workflow.models import Task

from fonds.accounts.models import User
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
    "entered_at",
    "entered_before",
    "people_of",
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


def entered_at(task):
    """When the dossier entered this task's queue (the task's creation)."""
    return task.created


def entered_before(moment) -> QuerySet:
    """Every open task created before ``moment``, oldest first (the « waiting too long » check)."""
    return open_tasks().filter(created__lt=moment)


def people_of(task) -> list:
    """The active staff users who find ``task`` in their list (``in_queue``'s rule): its assignee
    when it has one, else the holders of the stage's staff roles (a porteur stage: nobody, the
    commune is told by its own notices)."""
    stage = task.flow_task
    if task.status not in OPEN_TASK_STATUSES or not isinstance(stage, Stage):
        return []
    roles = [role for role in stage.roles if role != Role.PORTEUR]
    if not roles:
        return []
    users = User.objects.filter(is_active=True, groups__name__in=roles).distinct().order_by("pk")
    if task.owner_id is not None:
        users = users.filter(pk=task.owner_id)
    return [user for user in users if in_queue(user, task)]
