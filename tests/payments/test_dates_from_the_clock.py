"""Every date the payment and follow-up services write comes from ``fonds.clock``: with the clock
frozen at chosen moments, each recorded date is exactly that moment (never the system clock)."""

import datetime as dt

import pytest
from django.utils import timezone

from fonds.audit.models import AuditEvent
from fonds.payments.batches import build_batch, next_business_day
from fonds.payments.execution import mark_batch_sent, record_execution
from fonds.payments.models import OrderKind, PaymentOrder, Settlement
from fonds.payments.recovery import answer_recovery, make_recovery_final, record_recovery_received
from fonds.payments.settlement import accept_final_report
from fonds.suivi.convention import add_months
from fonds.suivi.models import FinalReport

from .conftest import certified_bank, report_submitted, signed

pytestmark = pytest.mark.django_db


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def event_time(action: str, obj) -> dt.datetime:
    return AuditEvent.objects.filter(action=action, object_id=str(obj.pk)).latest("seq").created_at


def test_payment_and_report_dates_come_from_the_clock(cast, clock):
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier)
    advance = PaymentOrder.objects.get(dossier=dossier, kind=OrderKind.ADVANCE)

    built = at(clock.today(), 9, 15)
    clock.travel_to(built, freeze=True)
    batch = build_batch(by=cast.finance, order_ids=[advance.pk]).batch
    mark_batch_sent(batch, by=cast.finance)
    assert (
        batch.created_at == built
        and batch.sent_at == built
        and batch.execution_date == next_business_day(built.date())
    )

    executed = at(batch.execution_date, 16, 40)
    clock.travel_to(executed, freeze=True)
    record_execution(batch, by=cast.finance)
    batch.refresh_from_db()
    advance.refresh_from_db()
    dossier.refresh_from_db()
    assert (
        batch.executed_at == executed
        and advance.paid_at == executed
        and event_time("batch_executed", batch) == executed
    )
    # the report is due 2 months (campaign setting) after the project's end, not after the payment
    months = dossier.campaign.rules.params["deadlines"]["report_months_after_end"]
    assert dossier.report_due == add_months(dossier.end_date, months)

    filed = at(dossier.end_date + dt.timedelta(days=3), 11, 5)
    clock.travel_to(filed, freeze=True)
    report_submitted(cast, dossier, youth_ages=[14, 15, 16, 17], leader_ages=[40, 41])
    report = FinalReport.objects.get(dossier=dossier)
    assert (
        report.submitted_at == filed
        and report.updated_at == filed
        and event_time("submit_report", dossier) == filed
    )

    accepted = at(dossier.end_date + dt.timedelta(days=20), 10, 30)
    clock.travel_to(accepted, freeze=True)
    accept_final_report(dossier, cast.finance)
    recovery = PaymentOrder.objects.get(dossier=dossier, kind=OrderKind.RECOVERY)
    days = dossier.campaign.rules.params["deadlines"]["recovery_answer_days"]
    assert Settlement.objects.get(dossier=dossier).accepted_at == accepted
    assert recovery.created_at == accepted and recovery.answer_due == accepted + dt.timedelta(days=days)

    answered = accepted + dt.timedelta(days=4, hours=2)
    clock.travel_to(answered, freeze=True)
    answer_recovery(recovery, cast.porteur, "Deux désistements de dernière minute.")
    final = answered + dt.timedelta(days=1)
    clock.travel_to(final, freeze=True)
    make_recovery_final(recovery, by=cast.finance, motivation="Réponse examinée.")
    received = final + dt.timedelta(days=10)
    clock.travel_to(received, freeze=True)
    record_recovery_received(recovery, by=cast.finance)
    recovery.refresh_from_db()
    assert (recovery.answered_at, recovery.final_at, recovery.paid_at) == (answered, final, received)
    assert event_time("recovery_made_final", recovery) == final
