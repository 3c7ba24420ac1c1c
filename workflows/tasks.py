"""Deadlines: the system transitions fired, through ``perform``, once a due date has passed
(hourly beat): ``expire_corrections`` after ``corrections_due``, ``lapse`` after ``agreement_due``.
One transaction per dossier, its row locked before the due date is re-read (a concurrent answer
wins or loses cleanly); running again changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import partial

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from fonds import clock
from fonds.dossiers.models import Dossier
from fonds.dossiers.services import TransitionRefused, perform
from fonds.dossiers.states import Forum, Status
from fonds.ops.retry import on_deadlock
from fonds.suivi import reminders

logger = logging.getLogger(__name__)


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y à %H:%M")


#: (transition, waiting status, due-date field, counter name, motivation template)
DEADLINES = [
    (
        "expire_corrections",
        Status.CORRECTIONS_REQUESTED,
        "corrections_due",
        "closed_without_follow_up",
        "Délai de corrections expiré le {due} sans renvoi du dossier corrigé : dossier classé sans suite.",
    ),
    (
        "lapse",
        Status.APPROVED,
        "agreement_due",
        "lapsed",
        "Convention non acceptée avant l'échéance du {due} : l'aide accordée est caduque.",
    ),
]


def _expire_one(pk: int, transition: str, status: str, field: str, motivation: str, now) -> bool:
    """Fire ``transition`` on dossier ``pk`` if, under its row lock, it is still overdue."""
    with transaction.atomic():
        dossier = (
            Dossier.objects.select_for_update().filter(pk=pk, status=status, **{f"{field}__lt": now}).first()
        )
        if dossier is None:
            return False  # acted upon (or deadline moved) since the search
        due = getattr(dossier, field)
        perform(
            dossier, transition, by=None, motivation=motivation.format(due=_when(due)), forum=Forum.SYSTEM
        )
        return True


@shared_task(name="workflows.tasks.expire_deadlines")
def expire_deadlines(now=None) -> dict[str, int]:
    """Expire every overdue dossier; returns ``{"closed_without_follow_up": n, "lapsed": n, "errors": n}``."""
    if isinstance(now, str):  # a datetime passed through Celery's JSON serializer
        now = dt.datetime.fromisoformat(now)
    now = now or clock.now()
    counts = {"closed_without_follow_up": 0, "lapsed": 0, "errors": 0}
    for transition, status, field, counter, motivation in DEADLINES:
        overdue = (
            Dossier.objects.filter(status=status, **{f"{field}__lt": now})
            .order_by(field, "pk")
            .values_list("pk", flat=True)
        )
        for pk in list(overdue):
            try:
                # a deadlock victim (a concurrent task holding the chain head) is run again
                if on_deadlock(partial(_expire_one, pk, transition, status, field, motivation, now)):
                    counts[counter] += 1
            except TransitionRefused as exc:
                logger.info("Dossier %s : %s non appliqué (%s)", pk, transition, exc)
            except Exception:
                counts["errors"] += 1
                logger.exception("Dossier %s : échec de %s", pk, transition)
    return counts


@shared_task(name="workflows.tasks.send_reminders")
def send_reminders(now=None) -> dict[str, int]:
    """The reminders before a deadline and the overdue final-report flag (hourly beat).

    Corrections ``corrections_reminder_days`` before their deadline, the convention
    ``agreement_reminder_days`` before ``agreement_due``, the final report
    ``report_reminder_days`` before ``report_due`` (numbers from the campaign's rules), and the
    report flagged overdue once ``report_due`` has passed — each once, audited, with a French
    email (``fonds.suivi.reminders``). Returns
    ``{"corrections": n, "agreement": n, "report": n, "report_overdue": n, "errors": n}``.
    """
    if isinstance(now, str):  # a datetime passed through Celery's JSON serializer
        now = dt.datetime.fromisoformat(now)
    return reminders.run(now or clock.now())
