"""Each notice of issue 16: who receives it, once, with the right link, never a minor's data."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fonds.dossiers.models import Dossier
from fonds.dossiers.services import perform_many
from fonds.dossiers.states import Status
from fonds.formats import long_date
from fonds.instruction.testing import ready_for_completion
from fonds.notifications import events
from fonds.notifications.models import Notification
from fonds.notifications.service import notify
from tests.workflows.conftest import act, walk

from .helpers import SITE, assert_no_minors_data, emails_to, html_of

pytestmark = pytest.mark.django_db

MESSAGE = "Merci de préciser le programme des activités."

MESSAGE = "Merci de préciser le programme des activités."


def _of(kind, **filters):
    return list(Notification.objects.filter(kind=kind, **filters).order_by("pk"))


def test_receipt_notice_to_the_communes_porteurs_only_once(cast, new_dossier):
    dossier = new_dossier()
    act(cast, dossier, "submit", "porteur")
    made = _of("receipt")
    assert [n.recipient for n in made] == [cast.porteur]
    assert made[0].delivery == Notification.Delivery.TASK  # emailed by the receipt task, with its PDF
    assert made[0].link == f"/suivi/{dossier.pk}/"
    dossier = Dossier.objects.select_related("commune").get(pk=dossier.pk)
    events.on_transition(dossier, "submit", cast.porteur, dossier.status)  # the same change again
    assert len(_of("receipt")) == 1
    assert not _of("receipt", recipient=cast.other_porteur)


def test_queue_entered_goes_to_the_people_of_the_new_queue_in_their_digest(cast, new_dossier):
    dossier = new_dossier()
    act(cast, dossier, "submit", "porteur")
    made = _of("queue_entered")
    assert {n.recipient for n in made} == {cast.instructeur, cast.instructeur2}
    assert {n.delivery for n in made} == {"digest"}
    assert made[0].link == f"/instruction/dossiers/{dossier.pk}/"


def test_queue_entered_never_told_to_the_person_who_acted(cast, new_dossier):
    dossier = new_dossier()
    walk(cast, dossier, "start_instruction")  # assigned to the instructor who started it
    assert len(_of("queue_entered", recipient=cast.instructeur)) == 1  # at the submission only


def test_corrections_requested_email_with_message_deadline_and_link(
    cast, new_dossier, django_capture_on_commit_callbacks
):
    dossier = new_dossier()
    walk(cast, dossier, "start_instruction")
    with django_capture_on_commit_callbacks(execute=True):
        act(cast, dossier, "request_corrections", "instructeur", MESSAGE)
    sent = emails_to(cast.porteur, "Corrections demandées")
    assert len(sent) == 1
    message = sent[0]
    request = dossier.correction_requests.get()
    link = f"{SITE}/suivi/{dossier.pk}/corrections/"
    assert MESSAGE in message.body
    assert link in message.body and f'href="{link}"' in html_of(message)
    assert "RÉPUBLIQUE FRANÇAISE" in message.body and "RÉPUBLIQUE<br>FRANÇAISE" in html_of(message)
    assert dossier.reference in message.subject
    assert request.deadline.year and "À corriger avant le" in message.body
    assert not emails_to(cast.other_porteur)
    assert_no_minors_data(dossier, message.body, html_of(message))
    # the email task run again (a redelivered message) sends nothing twice
    notification = _of("corrections_requested")[0]
    with django_capture_on_commit_callbacks(execute=True):
        notify("corrections_requested", dossier=dossier, key=f"{dossier.pk}-{request.pk}")
    assert len(emails_to(cast.porteur, "Corrections demandées")) == 1
    assert notification.emailed_at is not None


def test_correction_answered_tells_the_assigned_instructor(
    cast, new_dossier, django_capture_on_commit_callbacks
):
    dossier = new_dossier()
    walk(cast, dossier, "request_corrections")
    with django_capture_on_commit_callbacks(execute=True):
        act(cast, dossier, "resubmit", "porteur")
    made = _of("correction_answered")
    assert [n.recipient for n in made] == [cast.instructeur]
    sent = emails_to(cast.instructeur, "Dossier")
    assert len(sent) == 1 and f"{SITE}/instruction/dossiers/{dossier.pk}/" in sent[0].body
    assert not _of("queue_entered", recipient=cast.instructeur, pk__gt=made[0].pk)


def test_decision_and_convention_to_accept_on_approval(cast, new_dossier, django_capture_on_commit_callbacks):
    dossier = new_dossier()
    walk(cast, dossier, "schedule")
    with django_capture_on_commit_callbacks(execute=True):
        act(cast, dossier, "approve", "comite")
    assert [n.recipient for n in _of("decision")] == [cast.porteur]
    assert _of("decision")[0].delivery == "task"  # the decision letter's own email
    convention = emails_to(cast.porteur, "Convention à accepter")
    assert len(convention) == 1 and f"{SITE}/suivi/{dossier.pk}/convention/" in convention[0].body
    assert_no_minors_data(dossier, convention[0].body)


def test_advance_paid_and_report_due(cast, new_dossier, django_capture_on_commit_callbacks):
    dossier = new_dossier()
    walk(cast, dossier, "accept_agreement")
    with django_capture_on_commit_callbacks(execute=True):
        act(cast, dossier, "pay_advance", "finance")
    assert len(emails_to(cast.porteur, "Avance versée")) == 1
    report = emails_to(cast.porteur, "Rapport final attendu")
    assert len(report) == 1 and f"{SITE}/suivi/{dossier.pk}/rapport/" in report[0].body
    dossier.refresh_from_db()
    assert f"avant le {long_date(dossier.report_due)}" in report[0].body


def test_report_filed_tells_finance(cast, new_dossier, django_capture_on_commit_callbacks):
    dossier = new_dossier()
    walk(cast, dossier, "pay_advance")
    with django_capture_on_commit_callbacks(execute=True):
        act(cast, dossier, "submit_report", "porteur")
    assert [n.recipient for n in _of("report_filed")] == [cast.finance]
    assert len(emails_to(cast.finance, "Rapport final déposé")) == 1


def test_balance_paid_and_recovery_notice(cast, new_dossier, monkeypatch):
    dossier = new_dossier()
    walk(cast, dossier, "submit_report")
    monkeypatch.setattr(events, "Settlement", _FakeSettlements(Decimal("250.00")))
    act(cast, dossier, "settle", "finance", data={"balance": "250.00"})
    assert [n.recipient for n in _of("balance_paid")] == [cast.porteur]
    assert "250" in _of("balance_paid")[0].body


def test_recovery_notice_in_the_centre_its_email_by_the_payments_task(cast, new_dossier, monkeypatch):
    dossier = new_dossier()
    walk(cast, dossier, "submit_report")
    monkeypatch.setattr(events, "Settlement", _FakeSettlements(Decimal("-300.00")))
    act(cast, dossier, "settle", "finance", data={"balance": "-300.00"})
    assert Dossier.objects.get(pk=dossier.pk).status == Status.RECOVERY_PENDING
    made = _of("recovery_notice")
    assert [n.recipient for n in made] == [cast.porteur] and made[0].delivery == "task"
    assert "300" in made[0].body


def test_message_kinds_exist_for_the_conversation(cast, new_dossier, django_capture_on_commit_callbacks):
    dossier = new_dossier()
    act(cast, dossier, "submit", "porteur")
    with django_capture_on_commit_callbacks(execute=True):
        notify("message_received_commune", dossier=dossier, context={"body": "Un message."}, key="m1")
        notify("message_received_staff", dossier=dossier, users=[cast.instructeur], key="m1")
    assert len(emails_to(cast.porteur, "Nouveau message")) == 1
    assert len(emails_to(cast.instructeur, "Nouveau message")) == 1


def test_inactive_porteur_receives_nothing(cast, new_dossier):
    cast.porteur.is_active = False
    cast.porteur.save()
    extra = type(cast.porteur).objects.create_user("second@test.fjj.fr", "x", commune=cast.commune)
    extra.groups.add(*cast.porteur.groups.all())
    dossier = new_dossier()
    notify("advance_paid", dossier=dossier, key="x")
    assert [n.recipient for n in _of("advance_paid")] == [extra]


class _FakeSettlements:
    """``Settlement.objects.filter(...).first()`` giving a balance (the settle transition alone,
    without the payments module's acceptance)."""

    def __init__(self, balance):
        self.objects = self
        self.balance = balance

    def filter(self, **kwargs):
        return self

    def first(self):
        return self


def test_perform_many_notifies_each_dossier_after_the_process_moved(cast, new_dossier):
    dossiers = [new_dossier() for _ in range(3)]
    for dossier in dossiers:
        walk(cast, dossier, "start_instruction")
        ready_for_completion(dossier, by=cast.instructeur)  # the grid scored (fonds.instruction)
    result = perform_many(
        [d.pk for d in dossiers],
        "complete_instruction",
        by=cast.instructeur,
        data={"opinion": "favourable", "proposed_amount": "5000.00"},
    )
    assert not result.refused and len(result.done) == 3
    made = _of("queue_entered", dossier__in=dossiers, recipient=cast.admin)
    assert len(made) == 3  # the « instructed » queue: instructors and administrators


def test_stage_emails_have_the_state_html_alternative(cast, new_dossier, django_capture_on_commit_callbacks):
    dossier = new_dossier()
    with django_capture_on_commit_callbacks(execute=True):
        act(cast, dossier, "submit", "porteur")  # the receipt task's own email
    receipt = emails_to(cast.porteur, "Récépissé")
    assert len(receipt) == 1
    html = html_of(receipt[0])
    assert "RÉPUBLIQUE<br>FRANÇAISE" in html and f'href="{SITE}/depot/' in html
    assert_no_minors_data(dossier, receipt[0].body, html)
