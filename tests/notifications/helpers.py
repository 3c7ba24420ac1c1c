"""Shared checks of the notification tests."""

from __future__ import annotations

import re

from django.core import mail

SITE = "https://fjj.example.gouv.fr"


def emails_to(user, subject_start: str = "") -> list:
    return [m for m in mail.outbox if user.email in m.to and m.subject.startswith(subject_start)]


def html_of(message) -> str:
    return next(content for content, mimetype in message.alternatives if mimetype == "text/html")


def assert_no_minors_data(dossier, *texts: str) -> None:
    """No participant's data: neither the ages of the youths nor any word about the participants."""
    ages = ", ".join(str(age) for age in dossier.youth_ages)
    for text in texts:
        assert ages not in text
        assert not re.search(r"participant|âgé|né le|née le", text, re.IGNORECASE), text
