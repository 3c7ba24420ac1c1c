"""Faults (issue 14, point 3): the broker falls during a change whose follow-ups are documents and
emails. Each change commits while the broker is down; its follow-up tasks wait in the outbox; once
Redis is back (restarted empty on the same port) and ``flush_outbox`` runs as beat runs it, every
document and every email is produced exactly once.

The five changes: a committee session closed (N decision letters, each emailed to its mayor), a
convocation (one email per member), a lapse freeing money (the promotion notice to the
administrators), a final report accepted with a negative balance (the recovery notice), and an
export request (the XLSX and ODS files built by their task). Before the fault found here, these
went through ``on_commit(… .delay, robust=True)``: with the broker down, 0 of 5 letters were ever
produced.

Harness (private ``redis-server``, in-process worker, figures): ``tests/services/harness.py``. The
set-up of each scenario runs with the broker up and is let finish (``outage.settle()``) before the
kill, so that only the change under test meets the outage. Run by ``make test-services``.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from django.core import mail

from fonds.accounts.models import User
from fonds.accounts.roles import Role
from fonds.audit import chain
from fonds.audit.models import AuditEvent
from fonds.comite import convocation as comite_convocation
from fonds.comite import decisions, votes
from fonds.comite.letters import mayors
from fonds.comite.models import PromotionProposal, Session
from fonds.depot.models import EmailNotice
from fonds.documents.models import GeneratedDocument
from fonds.dossiers.models import Dossier
from fonds.dossiers.services import perform
from fonds.dossiers.states import Forum, Status
from fonds.payments.models import OrderKind, OrderState, PaymentOrder
from fonds.payments.settlement import accept_final_report
from fonds.reporting import exports
from fonds.reporting.models import ExportJob
from tests.comite.conftest import decide, in_committee, instructed_dossier, new_session, sitting
from tests.factories import make_campaign, make_user
from tests.payments.conftest import (
    certified_bank,
    pay_through_batch,
    report_submitted,
    signed,
)
from tests.reporting.helpers import dossier_in

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

N_LETTERS = 5  # the session: 0 of 5 letters before the fix


def _sent(prefix: str) -> Counter:
    """Recipients of the email notices sent under ``prefix`` (one ``EmailNotice`` per email)."""
    notices = EmailNotice.objects.filter(key__startswith=prefix, sent_at__isnull=False)
    return Counter(notices.values_list("to", flat=True))


def _mailed(subject_start: str) -> Counter:
    """Recipients of the emails that reached the (locmem) mailbox, by subject."""
    return Counter(to for m in mail.outbox if m.subject.startswith(subject_start) for to in m.to)


def _events(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


def test_broker_down_at_session_close_every_decision_letter_once(outage, committee):
    c = committee
    session = sitting(c, N_LETTERS)
    items = list(session.items.select_related("dossier").order_by("rank"))
    votes.open_vote(items[0], by=c.chair)
    for member in c.members[:3]:
        votes.cast_vote(items[0], by=member, choice="contre")
    votes.close_all_votes(session, by=c.chair)
    decisions.decide(
        items[0], by=c.chair, outcome="reject", motivation="Partenariat insuffisamment construit."
    )
    for item in items[1:]:
        decisions.decide(item, by=c.chair, outcome="defer", motivation="Pièces complémentaires attendues.")
    expected = Counter(m.email for item in items for m in mayors(item.dossier))
    assert sum(expected.values()) == N_LETTERS
    outage.settle()

    outage.down()
    decisions.close_session(session, by=c.chair)
    session.refresh_from_db()
    assert session.status == Session.Status.CLOSED and session.minutes is not None
    assert _events("comite_session_closed") == 1
    assert not GeneratedDocument.objects.filter(kind=GeneratedDocument.Kind.DECISION_LETTER).exists()
    waiting = outage.waiting("fonds.comite.tasks.generate_decision_letter", N_LETTERS)

    outage.up()
    keys = {f"decision-letter-{item.pk}" for item in items}
    letters = GeneratedDocument.objects.filter(kind=GeneratedDocument.Kind.DECISION_LETTER)
    outage.wait_for(
        lambda: letters.count() == sum(_sent("decision-letter-").values()) == N_LETTERS,
        f"les {N_LETTERS} lettres de décision et leurs courriels",
    )
    outage.drained()
    outage.ran_once(waiting)

    assert set(letters.values_list("key", flat=True)) == keys
    assert all(d.file.storage.exists(d.file.name) for d in letters)
    assert _events("decision_letter_generated") == N_LETTERS and _events("decision_letter_sent") == N_LETTERS
    assert _sent("decision-letter-") == expected == _mailed("Décision du comité")
    assert chain.verify().ok
    mailed = sum(_mailed("Décision du comité").values())
    outage.record(
        "clôture de séance",
        {"lettres de décision": (letters.count(), N_LETTERS), "courriels aux maires": (mailed, N_LETTERS)},
    )


def test_broker_down_at_convocation_one_email_per_member(outage, committee):
    c = committee
    for i in range(2):
        instructed_dossier(c.campaign, score=80 - i)
    session = new_session(c)
    comite_convocation.build_agenda(session, by=c.admin)
    outage.settle()

    outage.down()
    result = comite_convocation.send_convocation(session, by=c.admin)
    session.refresh_from_db()
    assert session.status == Session.Status.CONVENED and _events("comite_convocation") == 1
    expected = Counter(m.email for m in c.members)
    assert Counter(result.recipients) == expected and len(expected) == 5
    waiting = outage.waiting("fonds.comite.tasks.send_convocation_email", len(c.members))

    outage.up()
    outage.wait_for(lambda: _sent(f"comite-convocation-{session.pk}-") == expected, "les convocations")
    outage.drained()
    outage.ran_once(waiting)

    assert _mailed("Convocation au comité") == expected and _events("comite_convocation_sent") == len(
        expected
    )
    mailed = sum(_mailed("Convocation au comité").values())
    outage.record("convocation du comité", {"courriels aux membres": (mailed, len(expected))})


def test_broker_down_at_a_lapse_the_promotion_notice_once(outage):
    campaign = make_campaign(envelope=Decimal("10000.00"))
    member, admin = make_user("comite"), make_user("admin")
    lapsing = in_committee(campaign, score=90)
    decide(lapsing, member, "6000.00")
    first = in_committee(campaign, score=80)
    decide(first, member, "5000.00")
    assert Dossier.objects.get(pk=first.pk).status == Status.WAITLISTED
    outage.settle()

    outage.down()
    perform(
        lapsing, "lapse", by=None, motivation="Convention non acceptée dans les 30 jours.", forum=Forum.SYSTEM
    )
    record = PromotionProposal.objects.get()
    assert record.dossier_id == first.pk and record.trigger == "lapse"
    assert Dossier.objects.get(pk=first.pk).status == Status.APPROVED  # promoted in the same transaction
    waiting = outage.waiting("fonds.comite.tasks.notify_promotion", 1)

    outage.up()
    active_admins = User.objects.filter(is_active=True, groups__name=Role.ADMIN)
    expected = Counter([*active_admins.values_list("email", flat=True), *(m.email for m in mayors(first))])
    assert admin.email in expected and len(expected) == 2
    outage.wait_for(lambda: _sent(f"comite-promotion-{record.pk}-") == expected, "l'avis de promotion")
    outage.drained()
    outage.ran_once(waiting)

    assert _mailed("Liste complémentaire") == expected and _events("comite_promotion_notified") == len(
        expected
    )
    mailed = sum(_mailed("Liste complémentaire").values())
    outage.record(
        "promotion (liste complémentaire)",
        {"courriels au maire et aux administrateurs": (mailed, len(expected))},
    )


def test_broker_down_at_final_report_acceptance_the_recovery_notice_once(outage, cast):
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier)
    pay_through_batch(cast, PaymentOrder.objects.get(dossier=dossier))
    dossier.refresh_from_db()
    report_submitted(cast, dossier, youth_ages=[14, 15, 16, 17], leader_ages=[40, 41])
    outage.settle()

    outage.down()
    accept_final_report(dossier, cast.finance)
    order = PaymentOrder.objects.get(dossier=dossier, kind=OrderKind.RECOVERY)
    assert order.state == OrderState.CONTRADICTORY and _events("final_report_accepted") == 1
    waiting = outage.waiting("fonds.payments.tasks.notify_recovery", 1)

    outage.up()
    expected = Counter({cast.porteur.email: 1})
    outage.wait_for(
        lambda: _sent(f"payments-recovery-{order.pk}-") == expected, "l'avis de reversement au maire"
    )
    outage.drained()
    outage.ran_once(waiting)

    subject = f"Dossier {dossier.reference} : demande de reversement"
    notices = [m for m in mail.outbox if m.subject.startswith(subject)]
    assert [m.to for m in notices] == [[cast.porteur.email]] and _events("recovery_notice_sent") == 1
    outage.record("avis de reversement", {"courriels au maire": (len(notices), 1)})


def test_broker_down_at_an_export_request_each_file_built_once(outage):
    campaign = make_campaign()
    for status in ("approved", "rejected", "agreement_signed"):
        dossier_in(status, campaign=campaign)
    auditor = make_user("auditeur")
    outage.settle()

    outage.down()
    jobs = [exports.create_job(auditor, fmt, campaign=campaign) for fmt in ("xlsx", "ods")]
    assert all(ExportJob.objects.get(pk=job.pk).state == ExportJob.State.PENDING for job in jobs)
    waiting = outage.waiting("fonds.reporting.tasks.build_export", 2)

    outage.up()
    done = ExportJob.objects.filter(pk__in=[job.pk for job in jobs], state=ExportJob.State.DONE)
    outage.wait_for(lambda: done.count() == 2, "les fichiers XLSX et ODS")
    outage.drained()
    outage.ran_once(waiting)

    for job in done:
        assert job.rows_done == 3 and job.file.storage.exists(job.file.name)
        events = AuditEvent.objects.filter(
            action="export_decisions", object_type="reporting.exportjob", object_id=str(job.pk)
        )
        assert events.count() == 1 and chain.event_payload(events.get())["sha256"] == job.sha256
    outage.record(
        "export XLSX et ODS",
        {"fichiers": (done.count(), 2), "événements d'audit": (_events("export_decisions"), 2)},
    )
