"""One message (or the same correction request) to a whole filtered selection, as a bulk job."""

import datetime as dt

import pytest
from django.urls import reverse

from fonds import clock
from fonds.bulk.models import BulkFailure, BulkJob
from fonds.dossiers.models import Message
from fonds.dossiers.services import perform
from fonds.instruction.models import InstructorConflict
from tests.factories import make_commune, make_dossier, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def selection(cast):
    """Three deposited dossiers of three communes, one draft, one of a commune the instructor
    declared a link with."""
    deposited, other = [], make_user("instructeur")
    for _ in range(3):
        commune = make_commune()
        porteur = make_user("porteur", commune=commune)
        d = make_dossier(campaign=cast.campaign, commune=commune, porteur=porteur)
        perform(d, "submit", by=porteur)
        perform(d, "start_instruction", by=other)
        deposited.append(d)
    draft = make_dossier(campaign=cast.campaign, complete=False)
    linked_commune = make_commune()
    linked_porteur = make_user("porteur", commune=linked_commune)
    linked = make_dossier(campaign=cast.campaign, commune=linked_commune, porteur=linked_porteur)
    perform(linked, "submit", by=linked_porteur)
    InstructorConflict.objects.create(user=cast.instructeur, commune=linked_commune, motivation="Élu")
    return deposited, draft, linked, other


def _launch(client, user, campaign, data, capture):
    client.force_login(user)
    with capture(execute=True):
        response = client.post(
            reverse("instruction:bulk"), {"querystring": f"campaign={campaign.pk}", "confirm": "on", **data}
        )
    assert response.status_code == 302, response.content.decode()[:3000]
    return BulkJob.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[-1]))


def test_bulk_message_reaches_each_conversation_and_lists_refusals(
    client, cast, selection, django_capture_on_commit_callbacks
):
    deposited, draft, linked, _ = selection
    job = _launch(
        client,
        cast.instructeur,
        cast.campaign,
        {"action": "message", "message": "La date limite des conventions est avancée."},
        django_capture_on_commit_callbacks,
    )
    job.refresh_from_db()
    assert (job.total, job.succeeded, job.failed, job.status) == (5, 3, 2, "finished")
    assert set(Message.objects.values_list("dossier_id", flat=True)) == {d.pk for d in deposited}
    reasons = dict(BulkFailure.objects.filter(job=job).values_list("dossier_id", "reason"))
    assert reasons[draft.pk] == "La conversation avec le fonds s'ouvre au dépôt du dossier."
    assert "déclaré un lien avec la commune" in reasons[linked.pk]
    page = client.get(reverse("instruction:bulk-job", args=[job.pk])).content.decode()
    assert "ouvre au dépôt du dossier" in page and "un lien avec la commune" in page
    status = client.get(reverse("instruction:bulk-job-status", args=[job.pk])).json()
    assert status["percent"] == 100 and status["failed"] == 2


def test_bulk_message_needs_a_text(client, cast, selection):
    client.force_login(cast.instructeur)
    response = client.post(
        reverse("instruction:bulk"),
        {"querystring": f"campaign={cast.campaign.pk}", "confirm": "on", "action": "message", "message": " "},
    )
    assert (
        response.status_code == 400
        and "Écrivez le message à envoyer aux communes." in response.content.decode()
    )
    assert not BulkJob.objects.exists()


def test_bulk_correction_request_lands_in_each_conversation(
    client, cast, selection, django_capture_on_commit_callbacks
):
    deposited, draft, linked, other = selection
    job = _launch(
        client,
        other,
        cast.campaign,
        {
            "action": "request_corrections",
            "message": "Joignez la délibération signée.",
            "documents": ["deliberation"],
            "deadline": (clock.today() + dt.timedelta(days=20)).isoformat(),
        },
        django_capture_on_commit_callbacks,
    )
    job.refresh_from_db()
    assert (job.succeeded, job.failed) == (3, 2)  # the draft and the dossier not in instruction
    requests = Message.objects.filter(kind="correction_request", body="Joignez la délibération signée.")
    assert sorted(requests.values_list("dossier_id", flat=True)) == sorted(d.pk for d in deposited)
    assert all(m.correction_id for m in requests)
