"""The receipt while its task runs: a progress display polling a JSON status, the download once
ready, a failure said in French with where to get help — never « réessayez »."""

import datetime as dt

import pytest
from django.urls import reverse

from fonds import clock
from fonds.depot.receipts import receipt_progress
from fonds.dossiers.services import perform
from fonds.ops.models import OutboxMessage
from fonds.ui import progress as ui_progress

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(draft, porteur):
    """Submitted, its receipt task queued in the outbox but not run (no commit in a test)."""
    perform(draft, "submit", by=porteur)
    draft.refresh_from_db()
    return draft


@pytest.fixture
def ready(draft, porteur, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        perform(draft, "submit", by=porteur)
    draft.refresh_from_db()
    return draft


def status(client, dossier):
    response = client.get(reverse("depot:receipt-status", args=[dossier.pk]))
    assert response.status_code == 200
    return response.json()


def test_receipt_pending_shows_progress_polling_its_status(porteur_client, pending):
    response = porteur_client.get(reverse("depot:receipt", args=[pending.pk]))
    html = response.content.decode()
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert f'data-status-url="{reverse("depot:receipt-status", args=[pending.pk])}"' in html
    assert 'aria-live="polite"' in html and "Préparation en cours" in html
    assert "bulk/progress.js" in html and "Actualiser la page" in html  # with and without JavaScript
    assert "réessayez" not in html.lower()
    assert status(porteur_client, pending) | {"message": ""} == {
        "state": "pending",
        "state_label": "En préparation",
        "message": "",
        "over": False,
        "download_url": "",
        "size": None,
    }


def test_submitted_page_shows_receipt_progress_until_ready(porteur_client, pending):
    html = porteur_client.get(reverse("depot:submitted", args=[pending.pk])).content.decode()
    assert "data-progress" in html and reverse("depot:receipt-status", args=[pending.pk]) in html
    assert "quelques minutes" not in html


def test_receipt_ready_is_downloaded_and_status_gives_its_link(porteur_client, ready):
    data = status(porteur_client, ready)
    assert data["state"] == "ready" and data["over"] is True
    assert data["download_url"] == reverse("depot:receipt", args=[ready.pk]) and data["size"] > 0
    response = porteur_client.get(data["download_url"])
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    html = porteur_client.get(reverse("depot:submitted", args=[ready.pk])).content.decode()
    assert "Télécharger le récépissé" in html and "data-progress" not in html


def test_receipt_failed_task_is_said_with_help(porteur_client, pending, monkeypatch):
    monkeypatch.setattr(ui_progress, "task_state", lambda task_id: "FAILURE")
    data = status(porteur_client, pending)
    assert data["state"] == "failed" and data["over"] is True and "a échoué" in data["message"]
    html = porteur_client.get(reverse("depot:receipt", args=[pending.pk])).content.decode()
    assert "La préparation a échoué" in html
    assert reverse("conversation:thread", args=[pending.pk]) in html  # where to get help
    assert "Actualiser la page" not in html


def test_receipt_task_state_read_from_the_last_outbox_message(pending, monkeypatch):
    message = OutboxMessage.objects.get(task="fonds.depot.tasks.generate_receipt", args=[pending.pk])
    seen = []
    monkeypatch.setattr(ui_progress, "task_state", lambda task_id: seen.append(task_id) or "STARTED")
    assert receipt_progress(pending.pk).state == "pending" and seen == [str(message.pk)]


def test_receipt_late_says_so_and_keeps_polling(porteur_client, pending, settings):
    settings.FJJ_DOCUMENT_LATE_MINUTES = 10
    OutboxMessage.objects.filter(args=[pending.pk]).update(created_at=clock.now() - dt.timedelta(minutes=11))
    data = status(porteur_client, pending)
    assert data["state"] == "late" and data["over"] is False
    assert "plus de temps que prévu" in data["message"]


def test_receipt_status_is_private(client, pending):
    assert client.get(reverse("depot:receipt-status", args=[pending.pk])).status_code == 302
