"""workflows.tasks.send_reminders (hourly beat): reminders before a deadline, each sent once,
audited, in French with the deadline and a link; the overdue final report flagged (blocks E8)."""

import datetime as dt
import json

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from fonds import clock
from fonds.audit.models import AuditEvent
from fonds.dossiers.models import CorrectionRequest, Dossier
from fonds.dossiers.states import Status
from fonds.referentiel.models import RuleSet
from fonds.referentiel.rules import default_rules
from fonds.suivi import reminders
from fonds.suivi.models import DeadlineNotice
from workflows.tasks import expire_deadlines, send_reminders

from .conftest import act, walk

S = Status
ZERO = {"corrections": 0, "agreement": 0, "report": 0, "report_overdue": 0, "errors": 0}


def counts(**kw):
    return {**ZERO, **kw}


def events(dossier, action):
    return [
        json.loads(e.canonical)["payload"]
        for e in AuditEvent.objects.filter(
            object_type="dossiers.dossier", object_id=str(dossier.pk), action=action
        ).order_by("seq")
    ]


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """send_reminders at ``now``, with the emails queued on commit actually sent."""

    def call(now):
        with django_capture_on_commit_callbacks(execute=True):
            return send_reminders(now=now)

    return call


def new_rules(campaign, **deadlines):
    params = default_rules()
    params["deadlines"].update(deadlines)
    RuleSet.objects.create(
        campaign=campaign, version=campaign.rulesets.count() + 1, params=params, note="test"
    )


# ---- corrections (issue 4) -----------------------------------------------------------------------


def test_correction_reminder_sent_once_three_days_before_the_deadline(cast, new_dossier, run):
    dossier = walk(cast, new_dossier(), "request_corrections")
    request = CorrectionRequest.objects.get(dossier=dossier)
    deadline = request.deadline

    assert run(deadline - dt.timedelta(days=3, minutes=1)) == ZERO  # J-3 minus a minute: not yet
    assert mail.outbox == [] and request.reminder_sent_at is None

    at = deadline - dt.timedelta(days=3) + dt.timedelta(minutes=1)
    assert run(at) == counts(corrections=1)
    request.refresh_from_db()
    assert request.reminder_sent_at == at
    [email] = mail.outbox
    due = timezone.localtime(deadline).strftime("%d/%m/%Y à %H:%M")
    assert email.to == [cast.porteur.email]
    assert email.subject == f"Rappel : corrections attendues avant le {due} — dossier {dossier.reference}"
    assert (
        f"au plus tard le {due}" in email.body
        and "Merci de préciser le programme des activités." in email.body
    )
    assert "http://" in email.body and reverse("suivi:corrections", args=[dossier.pk]) in email.body
    assert "classé sans suite" in email.body
    [payload] = events(dossier, "reminder_sent")
    assert (
        payload["kind"] == "corrections"
        and payload["correction_request"] == request.pk
        and payload["days_before"] == 3
    )

    # again (next hour, or a retried task): nothing more
    trail = AuditEvent.objects.count()
    assert run(at + dt.timedelta(hours=1)) == ZERO
    assert run(at) == ZERO
    assert len(mail.outbox) == 1 and AuditEvent.objects.count() == trail


def test_correction_reminder_not_sent_for_an_answered_request(cast, new_dossier, run):
    dossier = walk(cast, new_dossier(), "resubmit")  # corrections requested, then answered
    request = CorrectionRequest.objects.get(dossier=dossier)
    assert request.answered_at is not None
    assert run(request.deadline - dt.timedelta(days=2)) == ZERO
    assert reminders.send_correction_reminder(request.pk, request.deadline - dt.timedelta(days=2)) is False
    assert mail.outbox == [] and events(dossier, "reminder_sent") == []


def test_correction_reminder_not_sent_after_the_deadline(cast, new_dossier, run):
    dossier = walk(cast, new_dossier(), "request_corrections")
    request = CorrectionRequest.objects.get(dossier=dossier)
    assert run(request.deadline + dt.timedelta(minutes=1)) == ZERO  # expiry's business, not a reminder
    assert mail.outbox == []


def test_correction_reminder_days_come_from_the_campaign_rules(cast, new_dossier, run):
    """The days of the rule version the dossier is filed under (a version published later does not
    move a dossier already in instruction: fonds.administration.versions)."""
    draft = new_dossier()
    new_rules(draft.campaign, corrections_reminder_days=5)
    dossier = walk(cast, draft, "request_corrections")
    deadline = CorrectionRequest.objects.get(dossier=dossier).deadline
    assert run(deadline - dt.timedelta(days=5, minutes=1)) == ZERO
    assert run(deadline - dt.timedelta(days=5) + dt.timedelta(minutes=1)) == counts(corrections=1)
    assert events(dossier, "reminder_sent")[0]["days_before"] == 5


def test_correction_reminder_found_under_the_lock_is_not_sent_twice(cast, new_dossier):
    """Two workers that found the same request: the second one, under the row lock, sees it sent."""
    dossier = walk(cast, new_dossier(), "request_corrections")
    request = CorrectionRequest.objects.get(dossier=dossier)
    at = request.deadline - dt.timedelta(days=1)
    assert reminders.correction_reminders_due(at) == [request.pk]
    assert reminders.send_correction_reminder(request.pk, at) is True
    assert reminders.send_correction_reminder(request.pk, at) is False
    assert reminders.correction_reminders_due(at) == []
    assert len(events(dossier, "reminder_sent")) == 1


def test_send_reminders_is_the_scheduled_celery_task(settings):
    from fonds.celery import app

    assert send_reminders.name == "workflows.tasks.send_reminders" and send_reminders.name in app.tasks
    assert any(entry["task"] == send_reminders.name for entry in settings.CELERY_BEAT_SCHEDULE.values())
    assert "fonds.suivi.tasks.send_deadline_email" in app.tasks


def test_send_reminders_accepts_a_serialised_now(cast, new_dossier, django_capture_on_commit_callbacks):
    dossier = walk(cast, new_dossier(), "request_corrections")
    later = (CorrectionRequest.objects.get(dossier=dossier).deadline - dt.timedelta(days=1)).isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        assert send_reminders(now=later)["corrections"] == 1


def test_reminder_email_is_sent_once_even_if_its_task_is_retried(cast, new_dossier, run):
    from fonds.suivi.tasks import send_deadline_email

    dossier = walk(cast, new_dossier(), "request_corrections")
    request = CorrectionRequest.objects.get(dossier=dossier)
    run(request.deadline - dt.timedelta(days=1))
    assert len(mail.outbox) == 1
    assert (
        send_deadline_email(
            "corrections", dossier.pk, f"correction-reminder-{request.pk}", request.deadline.isoformat()
        )
        == 0
    )
    assert len(mail.outbox) == 1


# ---- the convention (issue 5): reminder 7 days before, lapse on expiry -----------------------------


def test_agreement_reminder_sent_once_seven_days_before_the_deadline(cast, new_dossier, run):
    dossier = walk(cast, new_dossier(), "approve")
    due = dossier.agreement_due
    assert due is not None and abs((due - clock.now()) - dt.timedelta(days=30)) < dt.timedelta(
        minutes=5
    )  # agreement_days

    assert run(due - dt.timedelta(days=7, minutes=1)) == ZERO
    at = due - dt.timedelta(days=7) + dt.timedelta(minutes=1)
    assert run(at) == counts(agreement=1)
    [email] = mail.outbox
    when = timezone.localtime(due).strftime("%d/%m/%Y à %H:%M")
    assert email.subject == f"Rappel : convention à accepter avant le {when} — dossier {dossier.reference}"
    assert (
        f"au plus tard le {when}" in email.body
        and reverse("suivi:convention", args=[dossier.pk]) in email.body
    )
    assert "caduque" in email.body
    [payload] = events(dossier, "reminder_sent")
    assert payload["kind"] == "agreement" and payload["days_before"] == 7
    assert (
        DeadlineNotice.objects.filter(
            dossier=dossier, kind="agreement_reminder", due=timezone.localtime(due).date()
        ).count()
        == 1
    )

    assert run(at + dt.timedelta(hours=1)) == ZERO and run(at) == ZERO
    assert len(mail.outbox) == 1 and len(events(dossier, "reminder_sent")) == 1


def test_agreement_reminder_days_come_from_the_campaign_rules(cast, new_dossier, run):
    draft = new_dossier()
    new_rules(draft.campaign, agreement_reminder_days=10)
    dossier = walk(cast, draft, "approve")
    assert run(dossier.agreement_due - dt.timedelta(days=10, minutes=1)) == ZERO
    assert run(dossier.agreement_due - dt.timedelta(days=9)) == counts(agreement=1)


def test_agreement_reminder_not_sent_once_accepted(cast, new_dossier, run):
    dossier = walk(cast, new_dossier(), "approve")
    due = dossier.agreement_due
    act(cast, dossier, "accept_agreement", "porteur")
    assert run(due - dt.timedelta(days=3)) == ZERO and mail.outbox == []


def test_unaccepted_convention_is_reminded_then_lapses_with_a_french_motivation(cast, new_dossier, run):
    dossier = walk(cast, new_dossier(), "approve")
    due = dossier.agreement_due
    assert run(due - dt.timedelta(days=6)) == counts(agreement=1)
    assert expire_deadlines(now=due + dt.timedelta(minutes=1))["lapsed"] == 1
    dossier.refresh_from_db()
    assert dossier.status == S.LAPSED
    event = AuditEvent.objects.filter(
        object_type="dossiers.dossier", object_id=str(dossier.pk), action="lapse"
    ).get()
    assert event.actor_id is None and event.actor_role == "system"
    assert (
        f"Convention non acceptée avant l'échéance du {timezone.localtime(due).strftime('%d/%m/%Y à %H:%M')}"
        in json.loads(event.canonical)["payload"]["motivation"]
    )
    assert run(due + dt.timedelta(hours=2)) == ZERO  # a lapsed dossier gets no reminder


# ---- the final report (issue 5): reminder 14 days before, overdue flag after (blocks E8) -----------


def at_local(day, hour=9):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def test_report_reminder_sent_once_fourteen_days_before_it_is_due(cast, new_dossier, run):
    dossier = walk(cast, new_dossier(), "pay_advance")
    due = dossier.report_due
    assert due is not None
    assert run(at_local(due - dt.timedelta(days=15), 23)) == ZERO
    assert run(at_local(due - dt.timedelta(days=14), 0)) == counts(report=1)
    [email] = mail.outbox
    assert (
        email.subject
        == f"Rappel : rapport final à déposer avant le {due:%d/%m/%Y} — dossier {dossier.reference}"
    )
    assert (
        reverse("suivi:report", args=[dossier.pk]) in email.body
        and f"au plus tard le {due:%d/%m/%Y}" in email.body
    )
    [payload] = events(dossier, "reminder_sent")
    assert payload == {**payload, "kind": "report", "days_before": 14, "deadline": due.isoformat()}
    assert run(at_local(due - dt.timedelta(days=13))) == ZERO and len(mail.outbox) == 1


def test_overdue_report_is_flagged_once_audited_and_blocks_e8_for_the_commune(cast, new_dossier, run):
    from fonds.eligibilite.rules.campaign import e8_no_overdue_report

    dossier = walk(cast, new_dossier(), "pay_advance")
    due = dossier.report_due
    assert run(at_local(due, 23)) == counts(report=1)  # due today: reminded (window), not late
    assert dossier not in reminders.overdue_reports()

    the_day_after = at_local(due + dt.timedelta(days=1), 0)
    assert run(the_day_after) == counts(report_overdue=1)
    assert list(reminders.overdue_reports()) == [dossier]
    [payload] = events(dossier, "report_overdue")
    assert payload["kind"] == "report_overdue" and payload["deadline"] == due.isoformat()
    assert (
        mail.outbox[-1].subject == f"Rapport final en retard — dossier {dossier.reference}"
        and "E8" in mail.outbox[-1].body
    )
    assert run(the_day_after + dt.timedelta(hours=1)) == ZERO and len(events(dossier, "report_overdue")) == 1

    # the commune's next dossier, in another campaign, fails E8 while the report is late
    following = new_dossier()
    outcome = e8_no_overdue_report(following, following.campaign.rules, at=the_day_after)
    assert outcome.result == "fail" and dossier.reference in outcome.explanation


def test_filed_report_is_neither_reminded_nor_flagged(cast, new_dossier, run):
    dossier = walk(cast, new_dossier(), "submit_report")
    due = Dossier.objects.get(pk=dossier.pk).report_due
    assert run(at_local(due - dt.timedelta(days=3))) == ZERO
    assert run(at_local(due + dt.timedelta(days=3))) == ZERO
    assert dossier not in reminders.overdue_reports() and mail.outbox == []
