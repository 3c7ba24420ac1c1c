"""The recovery order (ordre de reversement): contradictory step, the mayor's answer, final by
finance or at expiry (beat task), then received, written off or cancelled; the dossier is closed."""
import datetime as dt
from decimal import Decimal

import pytest

from fonds.audit.models import AuditEvent
from fonds.dossiers.states import Status
from fonds.payments import services as pay
from fonds.payments import tasks
from fonds.payments.models import OrderKind, OrderState, PaymentOrder

from .conftest import certified_bank, pay_through_batch, report_submitted, signed
from fonds import clock

pytestmark = pytest.mark.django_db
O = OrderState


@pytest.fixture
def recovery(cast):
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier)
    pay_through_batch(cast, PaymentOrder.objects.get(dossier=dossier))
    dossier.refresh_from_db()
    report_submitted(cast, dossier, youth_ages=[14, 15, 16, 17], leader_ages=[40, 41])
    pay.accept_final_report(dossier, cast.finance)
    return PaymentOrder.objects.get(dossier=dossier, kind=OrderKind.RECOVERY)


def test_mayor_answers_once_within_the_period(cast, recovery):
    for user in (cast.other_porteur, cast.finance):
        with pytest.raises(pay.PaymentRefused):
            pay.answer_recovery(recovery, user, "Nous contestons.")
    with pytest.raises(pay.PaymentRefused, match="Écrivez votre réponse"):
        pay.answer_recovery(recovery, cast.porteur, "  ")
    pay.answer_recovery(recovery, cast.porteur, "Deux jeunes malades ont renoncé la veille du départ.")
    recovery.refresh_from_db()
    assert recovery.answered_by == cast.porteur and "malades" in recovery.answer_text
    assert AuditEvent.objects.filter(action="recovery_answered", object_id=str(recovery.pk)).count() == 1
    with pytest.raises(pay.PaymentRefused, match="déjà répondu"):
        pay.answer_recovery(recovery, cast.porteur, "Encore")


def test_answer_refused_after_the_deadline(cast, recovery):
    PaymentOrder.objects.filter(pk=recovery.pk).update(answer_due=clock.now() - dt.timedelta(minutes=1))
    with pytest.raises(pay.PaymentRefused, match="délai de réponse est expiré"):
        pay.answer_recovery(recovery, cast.porteur, "Trop tard ?")
    recovery.refresh_from_db()
    assert recovery.answered_at is None


def test_recovery_made_final_by_finance_then_received_closes_the_dossier(cast, recovery):
    pay.make_recovery_final(recovery, by=cast.finance, motivation="Les justificatifs ne sont pas fournis.")
    recovery.refresh_from_db()
    assert recovery.state == O.FINAL and recovery.final_at is not None
    with pytest.raises(pay.PaymentRefused):
        pay.build_batch(by=cast.finance, order_ids=[recovery.pk])  # never in a credit-transfer batch
    pay.record_recovery_received(recovery, by=cast.finance)
    recovery.refresh_from_db()
    recovery.dossier.refresh_from_db()
    assert recovery.state == O.PAID and recovery.dossier.status == Status.CLOSED


def test_recovery_written_off_closes_the_dossier(cast, recovery):
    pay.make_recovery_final(recovery, by=cast.finance)
    with pytest.raises(pay.PaymentRefused, match="motivation"):
        pay.write_off_recovery(recovery, by=cast.finance, motivation="")
    pay.write_off_recovery(recovery, by=cast.finance, motivation="Créance irrécouvrable.")
    recovery.refresh_from_db()
    recovery.dossier.refresh_from_db()
    assert recovery.state == O.WRITTEN_OFF and recovery.dossier.status == Status.CLOSED


def test_recovery_cancelled_after_the_answer_closes_the_dossier(cast, recovery):
    pay.answer_recovery(recovery, cast.porteur, "Les chiffres du rapport étaient erronés.")
    pay.cancel_order(recovery, by=cast.finance, motivation="Réponse du maire recevable.")
    recovery.refresh_from_db()
    recovery.dossier.refresh_from_db()
    assert recovery.state == O.CANCELLED and recovery.dossier.status == Status.CLOSED


def test_system_cannot_make_final_before_the_deadline(cast, recovery):
    with pytest.raises(pay.PaymentRefused, match="n'est pas expiré"):
        pay.make_recovery_final(recovery, by=None)
    assert tasks.expire_recovery_answers.delay().get() == []
    recovery.refresh_from_db()
    assert recovery.state == O.CONTRADICTORY


def test_beat_task_makes_the_recovery_final_at_expiry_idempotently(cast, recovery):
    PaymentOrder.objects.filter(pk=recovery.pk).update(answer_due=clock.now() - dt.timedelta(seconds=1))
    assert tasks.expire_recovery_answers.delay().get() == [recovery.reference]
    assert tasks.expire_recovery_answers.delay().get() == []
    recovery.refresh_from_db()
    assert recovery.state == O.FINAL
    event = AuditEvent.objects.get(action="recovery_made_final", object_id=str(recovery.pk))
    assert event.actor_id is None and event.actor_role == "system"


def test_recovery_notice_sent_once_per_recipient(cast, recovery, mailoutbox):
    assert tasks.notify_recovery.delay(recovery.pk).get() == 1
    assert tasks.notify_recovery.delay(recovery.pk).get() == 0
    assert len(mailoutbox) == 1 and Decimal(recovery.amount) == Decimal("650.50")
