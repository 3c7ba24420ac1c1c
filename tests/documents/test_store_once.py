"""A generated PDF is stored once per (kind, key), audited once, and leaves no orphan file."""

import hashlib

import pytest

from fonds.audit import chain
from fonds.audit.models import AuditEvent
from fonds.documents.models import GeneratedDocument
from fonds.documents.store import store_once
from tests.factories import make_dossier

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7 test"
KIND = GeneratedDocument.Kind.OTHER


@pytest.fixture(autouse=True)
def _unsealed(settings):
    """These bytes are no PDF a seal could be added to: storing is tested here, sealing in test_seal.py."""
    settings.FJJ_SEAL_DOCUMENTS = False


def stored_files(settings) -> list:
    return [p for p in (settings.MEDIA_ROOT / "generated").rglob("*") if p.is_file()]


def test_stored_once_then_found_without_rendering():
    renders = []

    def render():
        renders.append(1)
        return PDF

    first, created = store_once(KIND, "k-1", render, filename="a.pdf")
    again, created_again = store_once(KIND, "k-1", render, filename="a.pdf")
    assert (created, created_again) == (True, False) and again.pk == first.pk
    assert renders == [1]
    assert first.sha256 == hashlib.sha256(PDF).hexdigest() and first.size == len(PDF)
    assert first.file.read() == PDF


def test_audited_on_the_dossier_with_the_documents_hash():
    dossier = make_dossier()
    document, _ = store_once(
        KIND,
        "k-2",
        lambda: PDF,
        filename="b.pdf",
        dossier=dossier,
        audit="receipt_generated",
        payload=lambda: {"reference": dossier.reference},
    )
    event = AuditEvent.objects.get(action="receipt_generated")
    assert (event.object_type, event.object_id, event.actor_id) == ("dossiers.dossier", str(dossier.pk), None)
    assert chain.event_payload(event) == {
        "reference": dossier.reference,
        "document": document.pk,
        "sha256": document.sha256,
        "size": len(PDF),
    }
    store_once(KIND, "k-2", lambda: PDF, filename="b.pdf", dossier=dossier, audit="receipt_generated")
    assert AuditEvent.objects.filter(action="receipt_generated").count() == 1


def test_no_audit_event_unless_asked():
    before = AuditEvent.objects.count()
    store_once(KIND, "k-3", lambda: PDF, filename="c.pdf")
    assert AuditEvent.objects.count() == before


def test_the_loser_of_a_race_keeps_the_winners_and_drops_its_file(settings, monkeypatch):
    def render_while_another_stores_it():
        store_once(KIND, "k-4", lambda: b"%PDF winner", filename="winner.pdf")
        return PDF

    # the lookup ran before the other one stored it: only the unique constraint sees the race
    original_filter = GeneratedDocument.objects.filter
    calls = []

    def filter_missing_once(*args, **kwargs):
        calls.append(1)
        query = original_filter(*args, **kwargs)
        return query.none() if len(calls) == 1 else query

    monkeypatch.setattr(GeneratedDocument.objects, "filter", filter_missing_once)
    document, created = store_once(KIND, "k-4", render_while_another_stores_it, filename="loser.pdf")
    assert created is False and document.file.read() == b"%PDF winner"
    assert [p.name for p in stored_files(settings)] == ["winner.pdf"]


def test_a_failure_leaves_neither_row_nor_file(settings):
    def broken_payload():
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        store_once(
            KIND, "k-5", lambda: PDF, filename="d.pdf", audit="receipt_generated", payload=broken_payload
        )
    assert not GeneratedDocument.objects.filter(key="k-5").exists()
    assert stored_files(settings) == []
