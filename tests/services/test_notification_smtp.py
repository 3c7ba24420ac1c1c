"""Issue 16: a notification's email reaches a real SMTP server exactly once across a broker outage.

The change (corrections requested) commits while the broker is down; its email task waits in the
outbox; once Redis is back and ``flush_outbox`` runs, the real worker sends the email through
Django's SMTP backend to an ``aiosmtpd`` server started by the test: one message, to the porteur,
HTML and text, with the absolute link. Harness: ``tests/services/harness.py``.
"""

from __future__ import annotations

import email
import email.policy
import threading

import pytest

from fonds.depot.models import EmailNotice
from tests.workflows.conftest import act, cast, new_dossier, walk  # noqa: F401 — fixtures

from .harness import free_port

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

aiosmtpd_controller = pytest.importorskip(
    "aiosmtpd.controller", reason="nécessite aiosmtpd (extra de test) pour un vrai serveur SMTP"
)


class Inbox:
    """An aiosmtpd handler keeping every message received."""

    def __init__(self):
        self.messages, self.lock = [], threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(
                (
                    list(envelope.rcpt_tos),
                    email.message_from_bytes(envelope.content, policy=email.policy.default),
                )
            )
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp(settings):
    inbox = Inbox()
    port = free_port()
    controller = aiosmtpd_controller.Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.FJJ_SITE_URL = "https://fjj.example.gouv.fr"
    try:
        yield inbox
    finally:
        controller.stop()


def test_broker_down_at_corrections_request_the_email_reaches_smtp_once(
    outage,
    smtp,
    cast,  # noqa: F811 — the workflow tests' cast, not the payments one of tests/services/conftest
    new_dossier,  # noqa: F811 — fixture
):
    dossier = new_dossier()
    walk(cast, dossier, "start_instruction")
    outage.settle()
    smtp.messages.clear()

    outage.down()
    act(cast, dossier, "request_corrections", "instructeur", "Précisez le programme des activités.")
    waiting = outage.waiting("fonds.notifications.tasks.send_notification_emails", 1)
    assert not smtp.messages

    outage.up()
    outage.wait_for(
        lambda: any("Corrections demandées" in m["Subject"] for _, m in smtp.messages),
        "le courriel de demande de corrections sur le serveur SMTP",
    )
    outage.drained()
    outage.ran_once(waiting)
    received = [(to, m) for to, m in smtp.messages if "Corrections demandées" in m["Subject"]]
    assert len(received) == 1 and received[0][0] == [cast.porteur.email]
    message = received[0][1]
    texts = [p for p in message.walk() if p.get_content_maintype() == "text"]
    parts = {p.get_content_type(): p.get_content() for p in texts}
    link = f"https://fjj.example.gouv.fr/suivi/{dossier.pk}/corrections/"
    assert link in parts["text/plain"] and link in parts["text/html"]
    assert EmailNotice.objects.filter(key__startswith="notification-", sent_at__isnull=False).count() == 1
    outage.record("demande de corrections", {"courriels SMTP": (len(received), 1)})
