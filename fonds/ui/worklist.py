"""The task lists the pages show, read from the process engine without importing it.

``fonds`` never imports ``workflows`` (import-linter contract): ``workflows`` registers its queue
reader (``workflows.queues``) here from its ``AppConfig.ready()``, and the pages call these
functions. What each one means is documented in ``workflows.queues``.
"""

from __future__ import annotations

from typing import Protocol


class Queues(Protocol):
    def open_tasks_for(self, user, *, queue: str | None = None): ...

    def dossier_of(self, task): ...

    def stage_of(self, task): ...

    def deadline_of(self, task): ...

    def open_task(self, dossier): ...

    def queue_of(self, task): ...

    def people_of(self, task) -> list: ...

    def entered_at(self, task): ...

    def entered_before(self, moment): ...


_provider: Queues | None = None


def register(provider: Queues) -> None:
    """Install the process engine's queue reader (idempotent)."""
    global _provider
    _provider = provider


def _queues() -> Queues:
    if _provider is None:
        raise LookupError("No task queue registered: is the workflows app installed?")
    return _provider


def open_tasks_for(user, *, queue: str | None = None):
    """The open tasks ``user`` is expected to act on (optionally only those of one ``queue``)."""
    return _queues().open_tasks_for(user, queue=queue)


def task_rows(user, *, limit: int = 200) -> list[dict]:
    """``user``'s open tasks as rows of a task list: the task, its dossier, stage and deadline."""
    queues = _queues()
    return [
        {
            "task": task,
            "dossier": queues.dossier_of(task),
            "stage": queues.stage_of(task),
            "deadline": queues.deadline_of(task),
        }
        for task in queues.open_tasks_for(user)[:limit]
    ]


def queue_people(dossier) -> tuple[str | None, list]:
    """``(queue, staff users)`` of the dossier's open task: who is now expected to act on it
    (``(None, [])`` when the dossier waits on nobody of the fund)."""
    queues = _queues()
    task = queues.open_task(dossier)
    if task is None:
        return None, []
    return queues.queue_of(task), queues.people_of(task)


def waiting_since(before) -> list[dict]:
    """The open tasks entered before ``before``: rows ``{dossier, queue, since, people}``."""
    queues = _queues()
    people: dict = {}  # same stage, same assignee: same people (but the committee: recusals)
    rows = []
    for task in queues.entered_before(before):
        dossier, queue = queues.dossier_of(task), queues.queue_of(task)
        key = (str(task.flow_task), task.owner_id, dossier.pk if queue == "comite" else None)
        if key not in people:
            people[key] = queues.people_of(task)
        since = queues.entered_at(task)
        rows.append({"dossier": dossier, "queue": queue, "since": since, "people": people[key]})
    return rows
