"""The two notices made outside the transitions' receiver: the deadline reminder (fonds.suivi) and
the mayor's answer to a recovery order (fonds.payments) — who receives them, once, the link."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from fonds.notifications.models import Notification
from fonds.payments.models import OrderKind, PaymentOrder
from fonds.payments.recovery import answer_recovery
from fonds.payments.settlement import accept_final_report
from fonds.suivi.reminders import send_correction_reminder
from tests.payments.conftest import certified_bank, pay_through_batch, report_submitted, signed
from tests.workflows.conftest import walk

from .helpers import SITE, emails_to, html_of

pytestmark = pytest.mark.django_db


def test_deadline_reminder_to_the_porteurs_once_linking_the_corrections_page(
    cast, new_dossier, django_capture_on_commit_callbacks
):
    dossier = new_dossier()
    walk(cast, dossier, "request_corrections")
    request = dossier.correction_requests.get()
    eve = request.deadline - dt.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_correction_reminder(request.pk, eve)
        assert not send_correction_reminder(request.pk, eve)  # already sent
    made = list(Notification.objects.filter(kind="deadline_reminder"))
    link = reverse("suivi:corrections", args=[dossier.pk])
    assert [(n.recipient, n.link, n.delivery) for n in made] == [(cast.porteur, link, "task")]
    sent = emails_to(cast.porteur, "Rappel")
    assert len(sent) == 1 and not emails_to(cast.other_porteur)


def test_recovery_answered_tells_finance_once_linking_the_order(cast, django_capture_on_commit_callbacks):
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier)
    pay_through_batch(cast, PaymentOrder.objects.get(dossier=dossier))
    dossier.refresh_from_db()
    report_submitted(cast, dossier, youth_ages=[14, 15, 16, 17], leader_ages=[40, 41])
    accept_final_report(dossier, cast.finance)
    order = PaymentOrder.objects.get(dossier=dossier, kind=OrderKind.RECOVERY)
    with django_capture_on_commit_callbacks(execute=True):
        answer_recovery(order, cast.porteur, "Deux jeunes ont renoncé la veille du départ.")
    made = list(Notification.objects.filter(kind="recovery_answered"))
    link = reverse("payments:order", args=[order.pk])
    assert [(n.recipient, n.link) for n in made] == [(cast.finance, link)]
    (email,) = emails_to(cast.finance, "Réponse au reversement")
    assert f"{SITE}{link}" in email.body and f'href="{SITE}{link}"' in html_of(email)
    assert "renoncé" not in email.body  # the answer is read on the order's page
    assert not Notification.objects.filter(kind="recovery_answered", recipient=cast.porteur).exists()
