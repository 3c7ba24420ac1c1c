"""No notification of any kind carries a minor's data (issue 16; what that is: ``fonds.privacy``).

Minors' data in this project: the participants' ages (``youth_ages``, ``leader_ages`` of the
dossier and of the final report, ``fonds.privacy.access.AGE_FIELDS``) and the signed participant
list (a file naming the youths: its name, here a youth's name and birth date). One scenario makes
every kind of notification through the code that makes it in production, for dossiers holding such
data, sends every email (immediate ones, the stages' own, the digests), then looks for that data in
all of them and in the notification centre's texts.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail

from fonds import clock as fund_clock
from fonds.conversation.services import post_message
from fonds.notifications import events
from fonds.notifications import kinds as registry
from fonds.notifications.digest import send_digests
from fonds.notifications.models import Notification
from fonds.notifications.waiting import flag_waiting
from fonds.payments.models import OrderKind, PaymentOrder
from fonds.payments.recovery import answer_recovery
from fonds.payments.settlement import accept_final_report
from fonds.privacy.access import AGE_FIELDS
from fonds.suivi.models import FinalReport
from fonds.suivi.reminders import send_correction_reminder
from fonds.suivi.testing import SIGNED_LIST_PDF, file_complete_report, travel_after_project
from tests.payments.conftest import certified_bank, pay_through_batch, report_submitted, signed
from tests.workflows.conftest import act, walk

pytestmark = pytest.mark.django_db

MINOR = "Lucas Moreau"
LIST_NAME = "liste-signee-Lucas-Moreau-ne-le-03-04-2011.pdf"


def _forms_of(ages: list[int]) -> list[str]:
    """The ways a list of ages could be written in a text."""
    if not ages:
        return []
    return [
        ", ".join(map(str, ages)),
        " ".join(map(str, ages)),
        "; ".join(map(str, ages)),
        str(ages),
        *(f"{age} ans" for age in ages),
    ]


def _minors_data(dossiers) -> list[str]:
    found = [MINOR, "Lucas", "Moreau", "03/04/2011", "3 avril 2011", LIST_NAME]
    for dossier in dossiers:
        holders = [dossier, *FinalReport.objects.filter(dossier=dossier)]
        for holder in holders:
            for name in AGE_FIELDS:
                found += _forms_of(getattr(holder, name) or [])
            if getattr(holder, "participant_list_name", ""):
                found.append(holder.participant_list_name)
    return found


def test_no_email_nor_notification_of_any_kind_carries_a_minors_data(
    cast, new_dossier, monkeypatch, django_capture_on_commit_callbacks
):
    def run(func, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return func(*args, **kwargs)

    # the recovery path (payments): recovery notice, recovery answered — report with fewer youths
    recovered = signed(cast)
    certified_bank(cast, dossier=recovered)
    run(pay_through_batch, cast, PaymentOrder.objects.get(dossier=recovered))
    recovered.refresh_from_db()
    run(report_submitted, cast, recovered, youth_ages=[13, 14, 16], leader_ages=[40, 41])
    run(accept_final_report, recovered, cast.finance)
    order = PaymentOrder.objects.get(dossier=recovered, kind=OrderKind.RECOVERY)
    run(answer_recovery, order, cast.porteur, "Deux jeunes ont renoncé la veille du départ.")

    # the main path, with corrections, a reminder, messages both ways and the participant list
    dossier = new_dossier()
    run(walk, cast, dossier, "start_instruction")
    run(
        act,
        cast,
        dossier,
        "request_corrections",
        "instructeur",
        "Merci de revoir les âges déclarés.",
        data={"fields": ["youth_ages"]},
    )
    request = dossier.correction_requests.get()
    run(send_correction_reminder, request.pk, request.deadline - dt.timedelta(days=1))
    run(post_message, dossier, by=cast.instructeur, body=f"Pour {MINOR}, né le 03/04/2011 ?")
    run(post_message, dossier, by=cast.porteur, body=f"{MINOR} a 15 ans.")
    for transition, actor in [
        ("resubmit", "porteur"),
        ("complete_instruction", "instructeur"),
        ("schedule", "admin"),
        ("approve", "comite"),
        ("accept_agreement", "porteur"),
        ("pay_advance", "finance"),
    ]:
        run(act, cast, dossier, transition, actor)
    travel_after_project(fund_clock, dossier)
    file_complete_report(dossier, by=cast.porteur, participant_list=(LIST_NAME, SIGNED_LIST_PDF))
    run(act, cast, dossier, "submit_report", "porteur")
    monkeypatch.setattr(events, "Settlement", _FakeSettlements(Decimal("250.00")))
    run(act, cast, dossier, "settle", "finance", data={"balance": "250.00"})

    # a dossier waiting too long, then everybody's digest
    waiting = new_dossier()
    run(act, cast, waiting, "submit", "porteur")
    later = fund_clock.today() + dt.timedelta(days=60)
    assert flag_waiting(later) > 0
    assert run(send_digests, later)["sent"] > 0

    made = set(Notification.objects.values_list("kind", flat=True))
    assert made == {kind.code for kind in registry._KINDS}, "kinds never made: " + ", ".join(
        sorted({kind.code for kind in registry._KINDS} - made)
    )
    forbidden = _minors_data([recovered, dossier, waiting])
    assert MINOR in forbidden and "13, 14, 16" in forbidden and LIST_NAME in forbidden
    texts = []
    for message in mail.outbox:
        texts += [message.subject, message.body]
        texts += [content for content, _ in getattr(message, "alternatives", [])]
    for notification in Notification.objects.all():
        texts += [notification.title, notification.body]
    assert len(mail.outbox) > len(registry._KINDS)
    leaks = [(data, text[:300]) for text in texts for data in forbidden if data in text]
    assert not leaks, leaks


class _FakeSettlements:
    """``Settlement.objects.filter(...).first()`` giving a positive balance (the settle transition
    alone, as in test_notices)."""

    def __init__(self, balance):
        self.objects = self
        self.balance = balance

    def filter(self, **kwargs):
        return self

    def first(self):
        return self
