"""An email notice claimed by a worker that died: who may send it, and when (fonds.depot.notices)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from fonds import clock
from fonds.depot import notices
from fonds.depot.models import EmailNotice

pytestmark = pytest.mark.django_db


def claimed(by: str, minutes_ago: int) -> EmailNotice:
    """A notice a task claimed ``minutes_ago`` minutes ago and never marked sent (its worker died)."""
    return EmailNotice.objects.create(
        key="decision-letter-1-2",
        to="maire@exemple.fr",
        subject="Décision",
        claimed_at=clock.now() - dt.timedelta(minutes=minutes_ago),
        claimed_by=by,
    )


def send(monkeypatch, as_task: str) -> bool:
    monkeypatch.setattr(notices, "task_id", lambda: as_task)
    return notices.send_once("decision-letter-1-2", to="maire@exemple.fr", subject="Décision", body="…")


def test_the_same_task_delivered_again_sends_the_email_its_dead_worker_claimed(monkeypatch):
    claimed("task-1", minutes_ago=1)
    assert send(monkeypatch, "task-1") is True
    assert len(mail.outbox) == 1 and EmailNotice.objects.get().sent_at is not None


def test_another_task_leaves_a_recent_claim_alone(monkeypatch):
    claimed("task-1", minutes_ago=1)
    assert send(monkeypatch, "task-2") is False
    assert send(monkeypatch, "") is False  # outside any task
    assert not mail.outbox and EmailNotice.objects.get().sent_at is None


def test_a_claim_older_than_the_timeout_is_taken_over_by_anyone(monkeypatch):
    claimed("task-1", minutes_ago=int(notices.CLAIM_TIMEOUT.total_seconds() // 60) + 1)
    assert send(monkeypatch, "task-2") is True
    assert len(mail.outbox) == 1


def test_an_email_sent_is_never_sent_again_even_by_the_task_that_claimed_it(monkeypatch):
    claimed("task-1", minutes_ago=1)
    assert send(monkeypatch, "task-1") is True
    assert send(monkeypatch, "task-1") is False
    assert len(mail.outbox) == 1


def test_the_task_id_is_empty_outside_a_task():
    assert notices.task_id() == ""
