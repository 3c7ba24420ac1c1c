"""The demo's time machine: each event of the history at its own moment, on ``fonds.clock``.

``Timeline.add(moment, label, action)`` schedules an action; ``run()`` takes them in order and, for
each, runs the follow-up tasks queued so far (at the moment they were queued), moves the clock
forward (never back), runs the hourly deadline tasks when an hour has passed, then the action.
Tasks run in this process (Celery eager mode) by their registered names, as a worker would.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import heapq
import importlib
import logging
from collections.abc import Callable

from django.utils import timezone

from fonds import clock
from fonds.celery import app
from fonds.ops import outbox

from .accounts import DemoError

#: the beat's deadline tasks (fonds/settings.py, CELERY_BEAT_SCHEDULE), run every simulated hour
BEAT_TASKS = (
    "workflows.tasks.expire_deadlines",
    "workflows.tasks.send_reminders",
    "fonds.payments.tasks.expire_recovery_answers",
)
BEAT_EVERY = dt.timedelta(hours=1)
#: an event scheduled this close behind the clock (the previous one took a few seconds, a sitting
#: moved it to the start time) runs when the clock is: the order of events is kept
SAME_MOMENT = dt.timedelta(minutes=30)


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M")


def run_task(name: str, *args):
    """Run the Celery task registered as ``name`` here and now (eager), raising its errors."""
    if name not in app.tasks:  # registered when its module is imported (names follow module paths)
        importlib.import_module(name.rsplit(".", 1)[0])
    return app.tasks[name].apply(args=args, throw=True).get()


#: loggers a worker would fill (one line per task, per PDF step): quiet while the demo runs its tasks
TASK_LOGGERS = ("celery.app.trace", "fonds.task", "weasyprint", "weasyprint.progress")


@contextlib.contextmanager
def eager_tasks():
    """Celery tasks run in this process while the history is written, their per-task log lines
    kept out of the command's output (both restored afterwards)."""
    saved = app.conf.task_always_eager
    loggers = [logging.getLogger(name) for name in TASK_LOGGERS]
    levels = [logger.level for logger in loggers]
    app.conf.task_always_eager = True
    for logger in loggers:
        logger.setLevel(max(logger.getEffectiveLevel(), logging.WARNING))
    try:
        yield
    finally:
        app.conf.task_always_eager = saved
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


class Timeline:
    def __init__(self, until: dt.datetime):
        self.until = until  # nothing happens after this moment (the real "now" when seeding began)
        self._queue: list = []
        self._seq = 0
        self._last_beat: dt.datetime | None = None
        self._foreign: set = set()  # outbox messages that were waiting before the demo (not ours to run)
        self.current = ""  # label of the event running, for error messages
        self._started = False

    def start(self) -> None:
        self._foreign = set(outbox.pending().values_list("pk", flat=True))

    def add(self, moment: dt.datetime, label: str, action: Callable, *args) -> None:
        if moment > self.until:
            raise DemoError(f"Démo : « {label} » serait dans le futur ({_local(moment)}).")
        heapq.heappush(self._queue, (moment, self._seq, label, action, args))
        self._seq += 1

    def flush(self) -> None:
        """Run the follow-up tasks queued so far, now."""
        while True:
            waiting = [
                pk for pk in outbox.pending().values_list("pk", flat=True)[:500] if pk not in self._foreign
            ]
            if not waiting:
                return
            outbox.send_many(waiting)

    def beat(self, *, force: bool = False) -> None:
        now = clock.now()
        if force or self._last_beat is None or now - self._last_beat >= BEAT_EVERY:
            self._last_beat = now
            for name in BEAT_TASKS:
                run_task(name)
            self.flush()

    def run(self) -> None:
        while self._queue:
            moment, _, label, action, args = heapq.heappop(self._queue)
            self.current = label
            self.flush()
            now = clock.now() if self._started else None
            if now is not None and moment < now - SAME_MOMENT:
                raise DemoError(
                    f"Démo : l'historique remonterait le temps à « {label} » ({_local(moment)}, "
                    f"l'horloge est au {_local(now)})."
                )
            if now is None or moment > now:  # events of one moment follow each other as the clock ticks
                clock.travel_to(moment)
            self._started = True
            self.beat()
            try:
                action(*args)
            except DemoError:
                raise
            except Exception as exc:  # a refusal of the services (French message) or a bug: say where
                message = getattr(exc, "message", "") or str(exc)
                raise DemoError(
                    f"Démo : « {label} » ({_local(clock.now())}) a échoué : {type(exc).__name__} : {message}"
                ) from exc
        self.flush()
        self.current = ""
