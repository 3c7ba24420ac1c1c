import pytest

from fonds.dossiers.models import CorrectionRequest
from fonds.dossiers.services import perform
from tests.factories import make_dossier, make_user

pytestmark = pytest.mark.django_db


def test_request_corrections_records_fields_documents_and_deadline_then_resubmit_answers_it():
    dossier = make_dossier()
    perform(dossier, "submit", by=dossier.created_by)
    instructor = make_user("instructeur")
    perform(dossier, "start_instruction", by=instructor)
    perform(
        dossier,
        "request_corrections",
        by=instructor,
        motivation="Merci de joindre la délibération signée.",
        data={"fields": ["youth_ages"], "documents": ["deliberation"]},
    )
    request = CorrectionRequest.objects.get(dossier=dossier)
    assert request.message == "Merci de joindre la délibération signée."
    assert request.fields == ["youth_ages"] and request.documents == ["deliberation"]
    assert request.deadline == dossier.corrections_due and request.answered_at is None
    perform(dossier, "resubmit", by=dossier.created_by)
    request.refresh_from_db()
    assert request.answered_at is not None
