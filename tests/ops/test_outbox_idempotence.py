"""Follow-up tasks are idempotent (issue 14, point 3), without a broker: each change runs its
follow-ups once through the outbox (eager mode, after commit); then every outbox message is
delivered again with the same task id, as a broker redelivers a task whose worker died — and
nothing more is produced: one document per key, one email per notice.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from fonds.accounts.models import User
from fonds.audit.models import AuditEvent
from fonds.celery import app
from fonds.comite import convocation, decisions
from fonds.depot.invitations import send_invitation
from fonds.documents.models import GeneratedDocument
from fonds.dossiers.models import Dossier
from fonds.dossiers.services import perform
from fonds.dossiers.states import Forum
from fonds.ops.models import OutboxMessage
from fonds.payments.models import OrderKind, PaymentOrder
from fonds.payments.settlement import accept_final_report
from fonds.reporting import exports
from fonds.reporting.models import ExportJob
from tests.comite.conftest import decide, in_committee, instructed_dossier, new_session, sitting
from tests.factories import make_campaign, make_commune, make_user
from tests.payments.conftest import (
    certified_bank,
    pay_through_batch,
    report_submitted,
    signed,
)
from tests.reporting.helpers import dossier_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed():`` runs the block's follow-ups once its transaction commits (eager outbox)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def redeliver(task: str, times: int = 2) -> list:
    """Run every outbox message of ``task`` again, ``times`` times, with its own task id."""
    messages = list(OutboxMessage.objects.filter(task=task).order_by("created_at"))
    assert messages and all(m.sent_at is not None for m in messages)
    return [
        app.tasks[m.task].apply(args=m.args, kwargs=m.kwargs, task_id=str(m.pk), throw=True).result
        for _ in range(times)
        for m in messages
    ]


def subjects(start: str) -> Counter:
    return Counter(to for m in mail.outbox if m.subject.startswith(start) for to in m.to)


def events(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


def test_decision_letter_task_twice_one_letter_and_one_email_per_mayor(committee, committed):
    c = committee
    session = sitting(c, 2)
    for item in session.items.all():
        decisions.decide(item, by=c.chair, outcome="defer", motivation="Pièces complémentaires attendues.")
    with committed():
        decisions.close_session(session, by=c.chair)
    letters = GeneratedDocument.objects.filter(kind=GeneratedDocument.Kind.DECISION_LETTER)

    def produced():
        return (
            letters.count(),
            sorted(letters.values_list("sha256", flat=True)),
            subjects("Décision du comité"),
        )

    before = produced()
    assert before[0] == 2 and sum(before[2].values()) == 2

    results = redeliver("fonds.comite.tasks.generate_decision_letter")
    assert [r["emails_sent_now"] for r in results] == [0, 0, 0, 0]
    assert produced() == before
    assert events("decision_letter_generated") == 2 and events("decision_letter_sent") == 2


def test_convocation_task_twice_one_email_per_member(committee, committed):
    c = committee
    instructed_dossier(c.campaign)
    session = new_session(c)
    convocation.build_agenda(session, by=c.admin)
    with committed():
        convocation.send_convocation(session, by=c.admin)
    expected = Counter(m.email for m in c.members)
    assert subjects("Convocation au comité") == expected

    assert set(redeliver("fonds.comite.tasks.send_convocation_email")) == {False}
    assert subjects("Convocation au comité") == expected
    assert events("comite_convocation_sent") == len(expected)


def test_promotion_notice_task_twice_one_email_per_recipient(committed):
    campaign = make_campaign(envelope=Decimal("10000.00"))
    member, admin = make_user("comite"), make_user("admin")
    lapsing, waiting = in_committee(campaign, score=90), in_committee(campaign, score=80)
    decide(lapsing, member, "6000.00")
    decide(waiting, member, "5000.00")
    with committed():
        perform(
            Dossier.objects.get(pk=lapsing.pk),
            "lapse",
            by=None,
            motivation="Convention non acceptée à temps.",
            forum=Forum.SYSTEM,
        )
    mayors = [u.email for u in User.objects.filter(commune_id=waiting.commune_id)]
    assert subjects("Liste complémentaire") == Counter([admin.email, *mayors])

    assert redeliver("fonds.comite.tasks.notify_promotion") == [0, 0]
    assert subjects("Liste complémentaire") == Counter([admin.email, *mayors])
    assert events("comite_promotion_notified") == 1 + len(mayors)


def test_recovery_notice_task_twice_one_email_per_recipient(cast, committed):
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier)
    pay_through_batch(cast, PaymentOrder.objects.get(dossier=dossier))
    dossier.refresh_from_db()
    report_submitted(cast, dossier, youth_ages=[14, 15, 16, 17], leader_ages=[40, 41])
    with committed():
        accept_final_report(dossier, cast.finance)
    assert PaymentOrder.objects.filter(dossier=dossier, kind=OrderKind.RECOVERY).exists()
    subject = f"Dossier {dossier.reference} : demande de reversement"
    assert subjects(subject) == Counter([cast.porteur.email])

    assert redeliver("fonds.payments.tasks.notify_recovery") == [0, 0]
    assert subjects(subject) == Counter([cast.porteur.email]) and events("recovery_notice_sent") == 1


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_export_task_twice_one_file(fmt, committed):
    campaign = make_campaign()
    dossier_in("approved", campaign=campaign)
    with committed():
        job = exports.create_job(make_user("auditeur"), fmt, campaign=campaign)
    job.refresh_from_db()
    assert job.state == ExportJob.State.DONE
    before = (job.file.name, job.sha256, job.finished_at)

    redeliver("fonds.reporting.tasks.build_export")
    job.refresh_from_db()
    assert (job.file.name, job.sha256, job.finished_at) == before
    assert events("export_decisions") == 1


def test_export_delivery_started_before_another_finished_keeps_the_finished_file(monkeypatch):
    """A redelivered build that passed the "finished?" check while the first delivery was still
    running must not set the finished job back to running and build a second file."""
    campaign = make_campaign()
    dossier_in("approved", campaign=campaign)
    job = exports.create_job(make_user("auditeur"), "xlsx", campaign=campaign)  # not built: no commit here
    real = exports.job_selection

    def selection_while_the_other_delivery_finishes(j):
        monkeypatch.setattr(exports, "job_selection", real)
        exports.build_job(j.pk)  # the other delivery, to the end
        return real(j)

    monkeypatch.setattr(exports, "job_selection", selection_while_the_other_delivery_finishes)
    first = ExportJob.objects.get(pk=job.pk)
    assert first.state == ExportJob.State.PENDING
    late = exports.build_job(job.pk)
    done = ExportJob.objects.get(pk=job.pk)
    assert late.state == done.state == ExportJob.State.DONE and late.sha256 == done.sha256
    assert events("export_decisions") == 1


def test_invitation_email_task_twice_one_email_and_no_link_waits_in_the_outbox(committed):
    user = make_user("porteur", commune=make_commune(), email="maire@commune.fr")
    with committed():
        url = send_invitation(user)
    assert len(mail.outbox) == 1 and url in mail.outbox[0].body
    message = OutboxMessage.objects.get(task="fonds.depot.tasks.send_invitation_email")
    token = url.rstrip("/").rsplit("/", 1)[-1]
    assert token not in json.dumps([message.args, message.kwargs])

    assert redeliver("fonds.depot.tasks.send_invitation_email") == [False, False]
    assert len(mail.outbox) == 1


def test_password_reset_email_task_twice_one_email_and_no_link_waits_in_the_outbox(client, committed):
    porteur = make_user("porteur", commune=make_commune())
    with committed():
        client.post(reverse("depot:password-reset"), {"email": porteur.email})
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [porteur.email]
    link = re.search(r"https?://\S+/reinitialiser/(\S+)/(\S+)/", mail.outbox[0].body)
    message = OutboxMessage.objects.get(task="fonds.depot.tasks.send_password_reset")
    assert link and link.group(2) not in json.dumps([message.args, message.kwargs])

    assert redeliver("fonds.depot.tasks.send_password_reset") == [False, False]
    assert len(mail.outbox) == 1
    assert not AuditEvent.objects.filter(action="email_sent").exists()  # an anonymous request grows no chain


def test_plain_email_task_twice_one_email():
    from fonds.depot.tasks import send_email

    task_id = "0f8fad5b-d9cb-469f-a165-70867728950e"
    results = [
        send_email.apply(args=["Objet", "Corps", "a@exemple.fr"], task_id=task_id).result for _ in range(2)
    ]
    assert results == [True, False] and len(mail.outbox) == 1
