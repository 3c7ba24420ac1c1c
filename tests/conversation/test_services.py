"""The conversation's rules, tested without HTTP."""

import hashlib
import json

import pytest
from django.core.exceptions import ValidationError

from fonds.audit.models import AuditEvent
from fonds.conversation import services
from fonds.conversation.services import ConversationRefused, Upload
from fonds.conversation.signals import message_posted
from fonds.dossiers.models import Message
from tests.factories import PDF_BYTES

pytestmark = pytest.mark.django_db


def test_message_is_an_audit_event_with_sha256_of_text_and_attachments(cast, submitted):
    message = services.post_message(
        submitted, by=cast.porteur, body="Voici le programme.", files=[Upload("programme.pdf", PDF_BYTES)]
    )
    attachment = message.attachments.get()
    assert attachment.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    expected = hashlib.sha256(f"Voici le programme.\n{attachment.sha256}".encode()).hexdigest()
    event = AuditEvent.objects.get(action="message_posted")
    payload = json.loads(event.canonical)["payload"]
    assert payload["sha256"] == expected == Message.objects.get(pk=message.pk).sha256
    assert payload["attachments"][0]["sha256"] == attachment.sha256 and payload["side"] == "commune"
    assert event.actor_id == cast.porteur.pk and event.object_id == str(submitted.pk)
    assert "Voici le programme" not in event.canonical


def test_attachment_refused_when_the_document_checker_refuses(cast, submitted):
    with pytest.raises(ValidationError) as refused:
        services.post_message(
            submitted, by=cast.instructeur, body="x", files=[Upload("virus.pdf", b"MZ\x90 not a pdf")]
        )
    assert "Seuls les fichiers PDF, JPEG et PNG" in str(refused.value)
    assert not Message.objects.exists() and not AuditEvent.objects.filter(action="message_posted").exists()


def test_porteur_of_another_commune_cannot_post(cast, submitted):
    with pytest.raises(ConversationRefused) as refused:
        services.post_message(submitted, by=cast.other_porteur, body="Bonjour")
    assert refused.value.kind == "not_found"


def test_committee_and_auditors_do_not_write(cast, submitted):
    for user in (cast.comite, cast.auditeur):
        with pytest.raises(ConversationRefused) as refused:
            services.post_message(submitted, by=user, body="Bonjour")
        assert refused.value.kind == "role"


def test_no_conversation_before_deposit(cast, dossier):
    with pytest.raises(ConversationRefused) as refused:
        services.post_message(dossier, by=cast.instructeur, body="Bonjour")
    assert refused.value.kind == "status"


def test_finance_and_admin_write_for_the_fund(cast, submitted):
    assert services.post_message(submitted, by=cast.finance, body="RIB reçu.").side == "fonds"
    assert services.post_message(submitted, by=cast.admin, body="Bonjour.").side == "fonds"


def test_unread_counts_per_reader(cast, submitted):
    services.post_message(submitted, by=cast.instructeur, body="Question 1")
    services.post_message(submitted, by=cast.instructeur, body="Question 2")
    assert services.unread_count(cast.porteur, submitted) == 2
    assert services.unread_count(cast.instructeur, submitted) == 0  # one's own messages are read
    services.mark_read(cast.porteur, submitted, list(services.thread(submitted)))
    assert services.unread_count(cast.porteur, submitted) == 0
    assert services.unread_count(cast.admin, submitted) == 2  # each reader has their own mark
    services.post_message(submitted, by=cast.porteur, body="Réponse")
    assert services.unread_count(cast.admin, submitted) == 3
    rows = {d.pk: d for d in services.conversations(cast.admin)}
    assert rows[submitted.pk].unread == 3 and rows[submitted.pk].total == 3


def test_message_posted_signal_sent_in_the_transaction(cast, submitted):
    seen = []

    def listener(sender, message, dossier, by, side, **kwargs):
        seen.append((sender, message.pk, dossier.pk, by.pk, side))

    message_posted.connect(listener)
    try:
        message = services.post_message(submitted, by=cast.instructeur, body="Bonjour")
    finally:
        message_posted.disconnect(listener)
    assert seen == [(Message, message.pk, submitted.pk, cast.instructeur.pk, "fonds")]
