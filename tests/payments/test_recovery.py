"""The recovery order (ordre de reversement): contradictory step, the mayor's answer, final by
finance or at expiry (beat task), then received, written off or cancelled; the dossier is closed."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from fonds.audit.models import AuditEvent
from fonds.dossiers.states import Status
from fonds.payments import tasks
from fonds.payments.batches import build_batch
from fonds.payments.common import PaymentRefused
from fonds.payments.models import OrderKind, OrderState, PaymentOrder
from fonds.payments.orders import cancel_order
from fonds.payments.recovery import (
    answer_recovery,
    make_recovery_final,
    record_recovery_received,
    write_off_recovery,
)
from fonds.payments.settlement import accept_final_report
from tests.factories import make_campaign
from tests.french import french_date

from .conftest import certified_bank, pay_through_batch, report_submitted, signed

pytestmark = pytest.mark.django_db
OS = OrderState


@pytest.fixture
def recovery(cast):
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier)
    pay_through_batch(cast, PaymentOrder.objects.get(dossier=dossier))
    dossier.refresh_from_db()
    report_submitted(cast, dossier, youth_ages=[14, 15, 16, 17], leader_ages=[40, 41])
    accept_final_report(dossier, cast.finance)
    return PaymentOrder.objects.get(dossier=dossier, kind=OrderKind.RECOVERY)


def test_mayor_answers_once_within_the_period(cast, recovery):
    for user in (cast.other_porteur, cast.finance):
        with pytest.raises(PaymentRefused):
            answer_recovery(recovery, user, "Nous contestons.")
    with pytest.raises(PaymentRefused, match="Écrivez votre réponse"):
        answer_recovery(recovery, cast.porteur, "  ")
    answer_recovery(recovery, cast.porteur, "Deux jeunes malades ont renoncé la veille du départ.")
    recovery.refresh_from_db()
    assert recovery.answered_by == cast.porteur and "malades" in recovery.answer_text
    assert AuditEvent.objects.filter(action="recovery_answered", object_id=str(recovery.pk)).count() == 1
    with pytest.raises(PaymentRefused, match="déjà répondu"):
        answer_recovery(recovery, cast.porteur, "Encore")


def test_answer_refused_after_the_deadline(cast, recovery, clock):
    clock.travel_to(recovery.answer_due, freeze=True)  # the end of the 15 days: too late to answer
    with pytest.raises(PaymentRefused, match="délai de réponse est expiré"):
        answer_recovery(recovery, cast.porteur, "Trop tard ?")
    recovery.refresh_from_db()
    assert recovery.answered_at is None


def test_recovery_made_final_by_finance_then_received_closes_the_dossier(cast, recovery):
    answer_recovery(recovery, cast.porteur, "Les justificatifs suivent par courrier.")
    make_recovery_final(recovery, by=cast.finance, motivation="Les justificatifs ne sont pas fournis.")
    recovery.refresh_from_db()
    assert recovery.state == OS.FINAL and recovery.final_at is not None
    with pytest.raises(PaymentRefused):
        build_batch(by=cast.finance, order_ids=[recovery.pk])  # never in a credit-transfer batch
    record_recovery_received(recovery, by=cast.finance)
    recovery.refresh_from_db()
    recovery.dossier.refresh_from_db()
    assert recovery.state == OS.PAID and recovery.dossier.status == Status.CLOSED


def test_recovery_written_off_closes_the_dossier(cast, recovery, clock):
    clock.advance(days=15)  # no answer from the mayor within the period
    make_recovery_final(recovery, by=cast.finance)
    with pytest.raises(PaymentRefused, match="motivation"):
        write_off_recovery(recovery, by=cast.finance, motivation="")
    write_off_recovery(recovery, by=cast.finance, motivation="Créance irrécouvrable.")
    recovery.refresh_from_db()
    recovery.dossier.refresh_from_db()
    assert recovery.state == OS.WRITTEN_OFF and recovery.dossier.status == Status.CLOSED


def test_recovery_cancelled_after_the_answer_closes_the_dossier(cast, recovery):
    answer_recovery(recovery, cast.porteur, "Les chiffres du rapport étaient erronés.")
    cancel_order(recovery, by=cast.finance, motivation="Réponse du maire recevable.")
    recovery.refresh_from_db()
    recovery.dossier.refresh_from_db()
    assert recovery.state == OS.CANCELLED and recovery.dossier.status == Status.CLOSED


def test_system_cannot_make_final_before_the_deadline(cast, recovery):
    with pytest.raises(PaymentRefused, match="ne peut pas encore être rendu exécutoire"):
        make_recovery_final(recovery, by=None)
    assert tasks.expire_recovery_answers.delay().get() == []
    recovery.refresh_from_db()
    assert recovery.state == OS.CONTRADICTORY


def test_beat_task_makes_the_recovery_final_at_expiry_idempotently(cast, recovery, clock):
    clock.advance(days=15)  # no answer within the period
    assert tasks.expire_recovery_answers.delay().get() == [recovery.reference]
    assert tasks.expire_recovery_answers.delay().get() == []
    recovery.refresh_from_db()
    assert recovery.state == OS.FINAL
    event = AuditEvent.objects.get(action="recovery_made_final", object_id=str(recovery.pk))
    assert event.actor_id is None and event.actor_role == "system"


def test_recovery_notice_sent_once_per_recipient(cast, recovery, mailoutbox):
    assert tasks.notify_recovery.delay(recovery.pk).get() == 1
    assert tasks.notify_recovery.delay(recovery.pk).get() == 0
    assert len(mailoutbox) == 1 and Decimal(recovery.amount) == Decimal("650.50")


# ---- règlement: nobody can make the recovery final before the answer or the end of the 15 days ----


def _final_events(recovery):
    return AuditEvent.objects.filter(action="recovery_made_final", object_id=str(recovery.pk)).count()


def test_recovery_cannot_be_final_before_answer_or_15_days(cast, recovery, clock):
    notice = recovery.created_at
    # the day of the notice, day 1 (when finance did it), the last minute of the 15 days
    for moment in (notice, notice + dt.timedelta(days=1), recovery.answer_due - dt.timedelta(minutes=1)):
        clock.travel_to(moment)
        for by in (cast.finance, None):
            with pytest.raises(PaymentRefused) as refused:
                make_recovery_final(recovery, by=by, motivation="Trop tôt.")
            assert refused.value.kind == "too_early" and refused.value.http_status == 409
            assert refused.value.rules == ["recovery_answer_period"]
            assert "dès la réponse du maire" in refused.value.message
            assert f"{timezone.localtime(recovery.answer_due):%d/%m/%Y}" in refused.value.message
        assert tasks.expire_recovery_answers.delay().get() == []
    recovery.refresh_from_db()
    assert recovery.state == OS.CONTRADICTORY and recovery.final_at is None and _final_events(recovery) == 0
    assert recovery.answer_due == notice + dt.timedelta(days=15)  # the campaign's recovery_answer_days


def test_recovery_final_after_mayor_answer(cast, recovery, clock):
    clock.advance(days=1)
    answer_recovery(recovery, cast.porteur, "Deux jeunes malades ont renoncé la veille du départ.")
    with pytest.raises(PaymentRefused, match="c'est au service financier"):
        make_recovery_final(recovery, by=None)  # an answer is for finance to weigh, not for the beat task
    clock.advance(days=1)
    make_recovery_final(
        recovery, by=cast.finance, motivation="Les désistements ne réduisent pas les frais engagés."
    )
    recovery.refresh_from_db()
    assert recovery.state == OS.FINAL and recovery.answered_at < recovery.final_at < recovery.answer_due
    payload = AuditEvent.objects.get(action="recovery_made_final", object_id=str(recovery.pk)).data["payload"]
    assert payload["answered"] is True and payload["from"] == "contradictory"


def test_answered_recovery_waits_for_finance_at_the_end_of_the_period(cast, recovery, clock):
    answer_recovery(recovery, cast.porteur, "Les chiffres du rapport étaient erronés.")
    clock.advance(days=16)
    assert tasks.expire_recovery_answers.delay().get() == []
    recovery.refresh_from_db()
    assert recovery.state == OS.CONTRADICTORY


def test_recovery_final_after_15_days_without_answer(cast, recovery, clock):
    clock.advance(days=15)
    with pytest.raises(PaymentRefused, match="délai de réponse est expiré"):
        answer_recovery(recovery, cast.porteur, "Trop tard ?")
    make_recovery_final(recovery, by=cast.finance, motivation="Aucune observation du maire dans le délai.")
    recovery.refresh_from_db()
    assert recovery.state == OS.FINAL and recovery.final_at >= recovery.answer_due
    payload = AuditEvent.objects.get(action="recovery_made_final", object_id=str(recovery.pk)).data["payload"]
    assert payload["answered"] is False


def test_recovery_answer_period_is_the_campaign_setting(cast, clock):
    campaign = make_campaign()
    params = campaign.rules.params
    params["deadlines"]["recovery_answer_days"] = 20
    campaign.rules.new_version(params, note="délai de réponse de 20 jours")
    dossier = signed(cast, campaign=campaign)
    certified_bank(cast, dossier=dossier)
    pay_through_batch(cast, PaymentOrder.objects.get(dossier=dossier))
    dossier.refresh_from_db()
    report_submitted(cast, dossier, youth_ages=[14, 15, 16, 17], leader_ages=[40, 41])
    accept_final_report(dossier, cast.finance)
    recovery = PaymentOrder.objects.get(dossier=dossier, kind=OrderKind.RECOVERY)
    assert recovery.answer_due == recovery.created_at + dt.timedelta(days=20)
    clock.advance(days=15)
    with pytest.raises(PaymentRefused) as refused:
        make_recovery_final(recovery, by=cast.finance)
    assert refused.value.kind == "too_early"
    clock.advance(days=5)
    assert tasks.expire_recovery_answers.delay().get() == [recovery.reference]


def test_recovery_notice_is_dated_the_day_of_the_notice(cast, clock, mailoutbox):
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier)
    pay_through_batch(cast, PaymentOrder.objects.get(dossier=dossier))
    dossier.refresh_from_db()
    report_submitted(cast, dossier, youth_ages=[14, 15, 16, 17], leader_ages=[40, 41])
    notice_day = clock.today()
    accept_final_report(dossier, cast.finance)
    recovery = PaymentOrder.objects.get(dossier=dossier, kind=OrderKind.RECOVERY)
    assert timezone.localdate(recovery.created_at) == notice_day
    clock.advance(days=3)  # the mail server was down: the notice leaves three days later
    assert tasks.notify_recovery.delay(recovery.pk).get() == 1
    body = mailoutbox[0].body
    due = timezone.localtime(recovery.answer_due)
    assert body.startswith(f"Le {french_date(notice_day)}")
    assert f"jusqu'au {french_date(due)} à {due:%H:%M}" in body
    assert due.date() == notice_day + dt.timedelta(days=15)
