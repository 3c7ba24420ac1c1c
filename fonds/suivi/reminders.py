"""Deadline reminders and the overdue final report, run hourly by ``workflows.tasks.send_reminders``.

Corrections, convention and final report each get a reminder some days before their deadline
(``deadlines`` rules keys); a final report past due is flagged overdue. Each dossier is handled
in its own transaction (locked, re-checked, recorded once with its audit event and the email's
outbox message): running again, or retrying, sends nothing twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from fonds import clock
from fonds.audit import chain as audit
from fonds.dossiers.models import CorrectionRequest, Dossier
from fonds.dossiers.states import Status
from fonds.formats import long_date
from fonds.notifications.service import dossier_line, notify
from fonds.ops import outbox
from fonds.referentiel.models import Campaign, RuleSet

from .models import DeadlineNotice
from .tasks import DEADLINE_PAGES

logger = logging.getLogger(__name__)

CORRECTIONS, AGREEMENT, REPORT, REPORT_OVERDUE = "corrections", "agreement", "report", "report_overdue"


def _days(rules: RuleSet, key: str) -> int:
    return int(rules.params["deadlines"][key])


def _by_rules(qs, prefix: str = ""):
    """``qs`` split by the rules its dossiers follow (campaign and recorded version, see
    ``Dossier.rules``): ``(rules, sub-queryset)`` pairs, one query per campaign and version."""
    campaign_field, version_field = f"{prefix}campaign_id", f"{prefix}rules_version"
    pairs = sorted(
        set(qs.order_by().values_list(campaign_field, version_field)), key=lambda p: (p[0], p[1] or 0)
    )
    campaigns = Campaign.objects.in_bulk({c for c, _ in pairs})
    for campaign_id, version in pairs:
        rules = campaigns[campaign_id].rules_for(version)
        yield rules, qs.filter(**{campaign_field: campaign_id, version_field: version})


def _local_date(moment) -> dt.date:
    return timezone.localtime(moment).date() if isinstance(moment, dt.datetime) else moment


def _queue_email(kind: str, dossier_pk: int, key: str, deadline: str) -> None:
    """The email task, through the transactional outbox: it leaves after commit, and waits for
    ``flush_outbox`` if the broker is down (the reminder is recorded either way)."""

    outbox.enqueue("fonds.suivi.tasks.send_deadline_email", kind, dossier_pk, key, deadline)
    # « Mes notifications » of the commune's porteurs (the email is the task's, above)
    dossier = Dossier.objects.select_related("commune").get(pk=dossier_pk)
    due = dt.datetime.fromisoformat(deadline) if "T" in deadline else dt.date.fromisoformat(deadline)
    notify(
        "deadline_reminder",
        dossier=dossier,
        context={
            "title": REMINDER_TITLES[kind].format(reference=dossier.reference),
            "body": f"{dossier_line(dossier)}\nÉchéance : {long_date(due)}.",
            "link": reverse(DEADLINE_PAGES[kind], args=[dossier_pk]),
        },
        key=key,
    )


#: kind → title of the commune's notification of a deadline reminder
REMINDER_TITLES = {
    "corrections": "Rappel : corrections attendues — dossier {reference}",
    "agreement": "Rappel : convention à accepter — dossier {reference}",
    "report": "Rappel : rapport final à déposer — dossier {reference}",
    "report_overdue": "Rapport final en retard — dossier {reference}",
}


# ---- corrections: reminder N days before the deadline ----------------------------------------


def correction_reminders_due(now) -> list[int]:
    """Pks of the unanswered, not yet reminded correction requests whose deadline is within the
    campaign's ``corrections_reminder_days`` (and not passed) — the dossier still waiting."""
    open_requests = CorrectionRequest.objects.filter(
        answered_at__isnull=True,
        reminder_sent_at__isnull=True,
        deadline__gt=now,
        dossier__status=Status.CORRECTIONS_REQUESTED,
    )
    pks: list[int] = []
    for rules, requests in _by_rules(open_requests, "dossier__"):
        horizon = now + dt.timedelta(days=_days(rules, "corrections_reminder_days"))
        pks += requests.filter(deadline__lte=horizon).order_by("deadline", "pk").values_list("pk", flat=True)
    return pks


def send_correction_reminder(pk: int, now) -> bool:
    """Record and send the reminder of correction request ``pk`` if, under its lock, it is still due."""
    with transaction.atomic():
        # the request and its dossier locked: the dossier's status is checked below
        request = (
            CorrectionRequest.objects.select_for_update(of=("self", "dossier"))
            .select_related("dossier__campaign")
            .filter(pk=pk)
            .order_by()
            .first()
        )
        if (
            request is None
            or request.answered_at is not None
            or request.reminder_sent_at is not None
            or request.deadline <= now
        ):
            return False
        dossier = request.dossier
        days = _days(dossier.rules, "corrections_reminder_days")
        if dossier.status != Status.CORRECTIONS_REQUESTED or request.deadline > now + dt.timedelta(days=days):
            return False
        request.reminder_sent_at = now
        request.save(update_fields=["reminder_sent_at"])
        audit.append(
            "reminder_sent",
            actor=None,
            role="system",
            obj=dossier,
            payload={
                "kind": CORRECTIONS,
                "correction_request": request.pk,
                "deadline": request.deadline,
                "days_before": days,
                "rules_version": dossier.rules.version,
            },
            at=now,
        )
        _queue_email(
            CORRECTIONS, dossier.pk, f"correction-reminder-{request.pk}", request.deadline.isoformat()
        )
        return True


# ---- convention and final report: one DeadlineNotice per deadline ------------------------------


@dataclass(frozen=True)
class Deadline:
    kind: str  # CORRECTIONS / AGREEMENT / REPORT / REPORT_OVERDUE
    notice: str  # DeadlineNotice.Kind
    status: str  # the dossier waits in this status
    field: str  # the due date / datetime on the dossier
    days_key: str | None  # rules key of the reminder (None: the overdue flag)
    action: str  # the audit action


AGREEMENT_REMINDER = Deadline(
    AGREEMENT,
    DeadlineNotice.Kind.AGREEMENT_REMINDER,
    Status.APPROVED,
    "agreement_due",
    "agreement_reminder_days",
    "reminder_sent",
)
REPORT_REMINDER = Deadline(
    REPORT,
    DeadlineNotice.Kind.REPORT_REMINDER,
    Status.ADVANCE_PAID,
    "report_due",
    "report_reminder_days",
    "reminder_sent",
)
REPORT_LATE = Deadline(
    REPORT_OVERDUE,
    DeadlineNotice.Kind.REPORT_OVERDUE,
    Status.ADVANCE_PAID,
    "report_due",
    None,
    "report_overdue",
)


def _is_due(deadline: Deadline, due, now, days: int) -> bool:
    """Reminder: the deadline is within ``days`` and not passed. Overdue: the due date has passed
    (a report due today is not late yet — the same reading as E8)."""
    if isinstance(due, dt.datetime):
        return now < due <= now + dt.timedelta(days=days)
    today = timezone.localdate(now)
    if deadline.days_key is None:
        return due < today
    return today <= due <= today + dt.timedelta(days=days)


def notices_due(deadline: Deadline, now) -> list[int]:
    """Pks of the dossiers for which ``deadline``'s reminder (or flag) is due and not yet recorded."""
    waiting = Dossier.objects.filter(status=deadline.status, **{f"{deadline.field}__isnull": False})
    pks: list[int] = []
    for rules, qs in _by_rules(waiting):
        days = _days(rules, deadline.days_key) if deadline.days_key else 0
        if deadline.days_key is None:
            qs = qs.filter(**{f"{deadline.field}__lt": timezone.localdate(now)})
        elif deadline.field == "agreement_due":
            qs = qs.filter(agreement_due__gt=now, agreement_due__lte=now + dt.timedelta(days=days))
        else:
            today = timezone.localdate(now)
            qs = qs.filter(
                **{f"{deadline.field}__gte": today, f"{deadline.field}__lte": today + dt.timedelta(days=days)}
            )
        already = DeadlineNotice.objects.filter(kind=deadline.notice).values("dossier_id")
        pks += qs.exclude(pk__in=already).order_by(deadline.field, "pk").values_list("pk", flat=True)
    return pks


def record_notice(deadline: Deadline, pk: int, now) -> bool:
    """Record (once per due date) and announce ``deadline`` for dossier ``pk`` if, under its lock,
    it is still due; True if done now."""
    with transaction.atomic():
        dossier = Dossier.objects.select_for_update().filter(pk=pk).first()
        if dossier is None or dossier.status != deadline.status:
            return False
        due = getattr(dossier, deadline.field)
        if due is None:
            return False
        days = _days(dossier.rules, deadline.days_key) if deadline.days_key else 0
        if not _is_due(deadline, due, now, days):
            return False
        notice, created = DeadlineNotice.objects.get_or_create(
            dossier=dossier, kind=deadline.notice, due=_local_date(due), defaults={"created_at": now}
        )
        if not created:
            return False
        payload = {"kind": deadline.kind, "deadline": due, "rules_version": dossier.rules.version}
        if deadline.days_key:
            payload["days_before"] = days
        audit.append(deadline.action, actor=None, role="system", obj=dossier, payload=payload, at=now)
        _queue_email(
            deadline.kind,
            dossier.pk,
            f"{deadline.notice}-{dossier.pk}-{_local_date(due).isoformat()}",
            due.isoformat(),
        )
        return True


# ---- the overdue flag, queryable -----------------------------------------------------------------


def overdue_reports(queryset=None):
    """Dossiers flagged "final report overdue" and still without a filed report."""
    queryset = Dossier.objects.all() if queryset is None else queryset
    return queryset.filter(
        status=Status.ADVANCE_PAID, deadline_notices__kind=DeadlineNotice.Kind.REPORT_OVERDUE
    ).distinct()


# ---- the beat task's body --------------------------------------------------------------------------


def run(now=None) -> dict[str, int]:
    """Send every reminder due and raise every overdue flag; returns the counts."""
    now = now or clock.now()
    counts = {CORRECTIONS: 0, AGREEMENT: 0, REPORT: 0, REPORT_OVERDUE: 0, "errors": 0}
    jobs = [
        (CORRECTIONS, pk, lambda pk: send_correction_reminder(pk, now))
        for pk in correction_reminders_due(now)
    ]
    for deadline in (AGREEMENT_REMINDER, REPORT_REMINDER, REPORT_LATE):
        jobs += [
            (deadline.kind, pk, lambda pk, d=deadline: record_notice(d, pk, now))
            for pk in notices_due(deadline, now)
        ]
    for kind, pk, job in jobs:
        try:
            if job(pk):
                counts[kind] += 1
        except Exception:
            counts["errors"] += 1
            logger.exception("Rappel %s : échec pour %s", kind, pk)
    return counts
