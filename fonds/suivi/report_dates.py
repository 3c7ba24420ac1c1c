"""When a final report may be filed, and accepted: never before the project's end.

The project is over on its planned last day and on the actual last day the report declares,
whichever is later; the actual dates must be coherent (first ≤ last, neither in the future). One
reading for the porteur's form, ``submit_report`` and finance's acceptance
(``fonds.payments.settlement``). Today is ``fonds.clock.today()``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fonds import clock
from fonds.dossiers.services import TransitionRefused

#: refusal kind of a step taken before the project's end (HTTP 409, like a status conflict)
TOO_EARLY = "too_early"


class ReportTooEarly(TransitionRefused):
    """A report (or its balance) refused on its dates: ``too_early`` → 409, ``condition`` → 400."""

    HTTP = {**TransitionRefused.HTTP, TOO_EARLY: 409}


@dataclass(frozen=True)
class DateRefusal:
    kind: str  # TOO_EARLY (the project is not over) | "condition" (incoherent dates)
    rule: str
    message: str


def _fr(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def filing_opens(dossier, report=None) -> dt.date | None:
    """The first day the final report may be filed: the project's last day (planned, or the actual
    one declared in the report when it is later); None when neither is known."""
    days = [d for d in (dossier.end_date, getattr(report, "end_date", None)) if d]
    return max(days) if days else None


def actual_dates_errors(
    start: dt.date | None, end: dt.date | None, today: dt.date | None = None
) -> dict[str, str]:
    """Field errors (French) of the report's actual dates: first ≤ last, neither in the future."""
    today = today or clock.today()
    errors = {}
    if start and start > today:
        errors["start_date"] = (
            f"Le premier jour effectif ne peut pas être dans le futur (nous sommes le {_fr(today)}) : "
            "indiquez le jour où le projet a réellement commencé."
        )
    if end and end > today:
        errors["end_date"] = (
            f"Le dernier jour effectif ne peut pas être dans le futur (nous sommes le {_fr(today)}) : "
            "le rapport final se remplit une fois le projet terminé."
        )
    elif start and end and end < start:
        errors["end_date"] = "Le dernier jour doit être postérieur ou égal au premier jour."
    return errors


def report_date_refusal(
    dossier, report=None, *, today: dt.date | None = None, done: str = "déposé"
) -> DateRefusal | None:
    """Why the final report of ``dossier`` cannot be filed (``done="déposé"``) or accepted
    (``done="validé"``) today, or None. Planned end first: it is what the porteur is told."""
    today = today or clock.today()
    end = dossier.end_date
    if end and today < end:
        return DateRefusal(
            TOO_EARLY,
            "project_not_ended",
            f"Le rapport final ne peut pas être {done} avant la fin du projet (le voyage doit avoir eu "
            "lieu) : "
            f"le dernier jour prévu est le {_fr(end)}. Il pourra l'être à partir du {_fr(end)}.",
        )
    if report is None:
        return None
    start, actual_end = report.start_date, report.end_date
    if actual_end and actual_end > today:
        return DateRefusal(
            TOO_EARLY,
            "actual_end_in_future",
            f"Le dernier jour effectif déclaré dans le rapport ({_fr(actual_end)}) est dans le futur : "
            "le rapport final "
            f"ne peut pas être {done} avant la fin réelle du projet. Il pourra l'être à partir du "
            f"{_fr(actual_end)}.",
        )
    if start and start > today:
        return DateRefusal(
            TOO_EARLY,
            "actual_start_in_future",
            f"Le premier jour effectif déclaré dans le rapport ({_fr(start)}) est dans le futur : "
            "corrigez les dates effectives du projet.",
        )
    if start and actual_end and actual_end < start:
        return DateRefusal(
            "condition",
            "actual_dates_order",
            f"Les dates effectives du rapport sont incohérentes : le dernier jour ({_fr(actual_end)}) "
            f"précède le premier ({_fr(start)}).",
        )
    return None


def refuse_on_dates(dossier, report=None, *, done: str = "déposé", exception=ReportTooEarly) -> None:
    """Raise ``exception(kind, message, rules=[rule])`` when ``report_date_refusal`` finds a reason."""
    refusal = report_date_refusal(dossier, report, done=done)
    if refusal is not None:
        raise exception(refusal.kind, refusal.message, rules=[refusal.rule])
