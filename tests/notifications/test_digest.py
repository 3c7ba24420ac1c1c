"""The daily digest: one email per person per day, idempotent, constant queries per person."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fonds.notifications.digest import send_digests
from fonds.notifications.models import Notification
from fonds.notifications.service import notify
from tests.factories import make_user

from .helpers import SITE, assert_no_minors_data, html_of

pytestmark = pytest.mark.django_db


def _queue(dossier, users, n, prefix="q"):
    for i in range(n):
        notify("queue_entered", dossier=dossier, users=users, key=f"{prefix}{i}")


def test_digest_one_email_per_person_per_day_listing_their_notifications(cast, new_dossier, clock):
    dossier = new_dossier()
    _queue(dossier, [cast.instructeur, cast.instructeur2], 3)
    result = send_digests(clock.today())
    assert result["sent"] == 2
    to_first = [m for m in mail.outbox if m.to == [cast.instructeur.email]]
    assert len(to_first) == 1
    body = to_first[0].body
    assert body.count(f"{SITE}/dossier") == 3 and dossier.reference in body
    assert "3 notifications" in to_first[0].subject and "<ul>" in html_of(to_first[0])
    assert_no_minors_data(dossier, body, html_of(to_first[0]))
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


def test_digest_run_twice_the_same_day_sends_nothing_more(cast, new_dossier, clock):
    dossier = new_dossier()
    _queue(dossier, [cast.instructeur], 2)
    send_digests(clock.today())
    _queue(dossier, [cast.instructeur], 1, prefix="later")  # after the day's digest left
    assert send_digests(clock.today()) == {"day": clock.today().isoformat(), "sent": 0, "skipped": 1}
    assert len(mail.outbox) == 1
    waiting = Notification.objects.filter(emailed_at__isnull=True)
    assert waiting.count() == 1  # kept for tomorrow's
    clock.advance(days=1)
    assert send_digests(clock.today())["sent"] == 1 and len(mail.outbox) == 2


def test_digest_leaves_out_immediate_and_off_notifications(cast, new_dossier, clock):
    dossier = new_dossier()
    notify("report_filed", dossier=dossier, users=[cast.finance], key="r")  # immediate
    assert send_digests(clock.today())["sent"] == 0


def test_digest_queries_do_not_grow_with_people_or_notifications(cast, new_dossier, clock):
    dossier = new_dossier()

    def queries(people, per_person):
        Notification.objects.all().delete()
        users = [make_user("instructeur") for _ in range(people)]
        _queue(dossier, users, per_person, prefix=f"{people}-{per_person}-")
        with CaptureQueriesContext(connection) as captured:
            assert send_digests(clock.today() + dt.timedelta(days=people))["sent"] == people
        return len(captured)

    two, four = queries(2, 1), queries(4, 5)
    per_person = (four - two) / 2
    assert four == two + per_person * 2  # linear in people, flat in notifications
    assert per_person <= 10  # send_once (claim, send, mark) and one UPDATE
