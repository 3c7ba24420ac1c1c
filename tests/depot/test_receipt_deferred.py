"""The receipt in deferred audit sequencing (docs/audit.md): the task finds the ``submit`` event
chained (it chains what is pending first) and prints its sequence number."""

import pytest
from django.db import transaction

from fonds.audit import chain as audit
from fonds.audit.chain import verify
from fonds.audit.models import AuditEvent, PendingEvent
from fonds.depot.receipts import ensure_receipt, submission_record
from fonds.documents.models import GeneratedDocument
from fonds.dossiers.services import perform


@pytest.mark.django_db(transaction=True)
def test_receipt_task_chains_the_pending_submit_event_and_prints_its_number(draft, porteur, settings):
    settings.FJJ_AUDIT_SEQUENCING = "deferred"
    perform(draft, "submit", by=porteur)  # the outbox runs the receipt task after the commit (eager)
    event = AuditEvent.objects.get(action="submit", object_id=str(draft.pk))
    document = GeneratedDocument.objects.get(kind=GeneratedDocument.Kind.RECEIPT, dossier=draft)
    assert submission_record(draft).seq == event.seq
    assert ensure_receipt(draft.pk) == document  # made once
    assert not PendingEvent.objects.exists()
    assert verify().ok


@pytest.mark.django_db(transaction=True)
def test_submission_record_is_none_until_the_submit_event_is_chained(draft, porteur, settings):
    settings.FJJ_AUDIT_SEQUENCING = "deferred"
    with transaction.atomic():
        audit.append("submit", actor=porteur, role="porteur", obj=draft, payload={"data": {}})
    assert submission_record(draft) is None
    audit.catch_up()
    assert submission_record(draft).seq == AuditEvent.objects.get(action="submit").seq
