"""The data step of ``dossiers.0011``: existing messages and correction requests join the thread."""

import datetime as dt
import hashlib
import importlib

import pytest
from django.apps import apps

from fonds import clock
from fonds.dossiers.models import CorrectionRequest, Message

pytestmark = pytest.mark.django_db

migration = importlib.import_module("fonds.dossiers.migrations.0011_message_conversation")


def test_existing_messages_and_requests_keep_their_data_in_the_thread(cast, submitted):
    old = Message.objects.create(dossier=submitted, author=cast.porteur, body="Ancienne réponse")
    request = CorrectionRequest.objects.create(
        dossier=submitted,
        requested_by=cast.instructeur,
        message="Ancienne demande",
        deadline=clock.now() + dt.timedelta(days=10),
    )
    migration.thread_existing(apps, None)
    old.refresh_from_db()
    assert old.side == "commune" and old.sha256 == hashlib.sha256(b"Ancienne r\xc3\xa9ponse").hexdigest()
    threaded = Message.objects.get(correction=request)
    assert threaded.kind == "correction_request" and threaded.body == "Ancienne demande"
    assert threaded.created_at == request.created_at and threaded.side == "fonds"
    migration.thread_existing(apps, None)  # run twice: no second copy
    assert Message.objects.filter(correction=request).count() == 1
