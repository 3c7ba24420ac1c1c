"""5. Answering a correction request: the page, the highlighted items, the resubmission."""

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from fonds.audit.models import AuditEvent
from fonds.dossiers import editing
from fonds.dossiers.models import CorrectionRequest
from fonds.dossiers.services import perform
from fonds.dossiers.states import Status

pytestmark = pytest.mark.django_db

MESSAGE = "Merci de joindre la délibération signée et de préciser les âges des accompagnateurs."


@pytest.fixture
def corrections_requested(cast, dossier):
    perform(dossier, "submit", by=cast.porteur)
    perform(dossier, "start_instruction", by=cast.instructeur)
    perform(
        dossier,
        "request_corrections",
        by=cast.instructeur,
        motivation=MESSAGE,
        data={"fields": ["leader_ages", "budget_lines"], "documents": ["deliberation"]},
    )
    return dossier


def test_corrections_page_shows_message_fields_documents_and_deadline(client, cast, corrections_requested):
    dossier = corrections_requested
    client.force_login(cast.porteur)
    response = client.get(reverse("suivi:corrections", args=[dossier.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "délibération signée et de préciser les âges" in html
    assert "Âges des accompagnateurs" in html and "Budget (dépenses et recettes)" in html
    assert "Délibération du conseil municipal" in html
    assert html.count("À corriger") == 2 and html.count("À fournir") == 1
    deadline = CorrectionRequest.objects.get(dossier=dossier).deadline
    assert f"avant le {date_format(timezone.localtime(deadline), 'j F Y à H:i')}" in html
    assert "Renvoyer le dossier corrigé" in html


def test_corrections_page_marks_what_was_fixed_since_the_request(client, cast, corrections_requested):
    dossier = corrections_requested
    editing.update_content(dossier, by=cast.porteur, fields={"leader_ages": [35, 42, 28]})
    client.force_login(cast.porteur)
    html = client.get(reverse("suivi:corrections", args=[dossier.pk])).content.decode()
    assert "Modifié le" in html and html.count("À corriger") == 1


def test_corrections_page_of_another_commune_is_404(client, cast, corrections_requested):
    client.force_login(cast.other_porteur)
    assert client.get(reverse("suivi:corrections", args=[corrections_requested.pk])).status_code == 404


def test_resubmit_from_corrections_page_returns_dossier_to_instruction(client, cast, corrections_requested):
    dossier = corrections_requested
    client.force_login(cast.porteur)
    response = client.post(
        reverse("suivi:corrections", args=[dossier.pk]), {"message": "Délibération jointe.", "confirm": "on"}
    )
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == Status.IN_INSTRUCTION
    assert CorrectionRequest.objects.get(dossier=dossier).answered_at is not None
    event = AuditEvent.objects.filter(action="resubmit").get()
    assert event.data["payload"]["motivation"] == "Délibération jointe." and event.actor_role == "porteur"


def test_resubmit_requires_explicit_confirmation(client, cast, corrections_requested):
    dossier = corrections_requested
    client.force_login(cast.porteur)
    response = client.post(reverse("suivi:corrections", args=[dossier.pk]), {"message": "x"})
    assert response.status_code == 400 and "resume-erreurs" in response.content.decode()
    dossier.refresh_from_db()
    assert dossier.status == Status.CORRECTIONS_REQUESTED


def test_resubmit_by_instructeur_is_refused_409(client, cast, corrections_requested):
    client.force_login(cast.instructeur)
    response = client.post(reverse("suivi:corrections", args=[corrections_requested.pk]), {"confirm": "on"})
    assert response.status_code == 409
    corrections_requested.refresh_from_db()
    assert corrections_requested.status == Status.CORRECTIONS_REQUESTED
