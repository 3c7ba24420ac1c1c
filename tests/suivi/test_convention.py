"""7. The convention: WeasyPrint PDF (content, idempotent, audited), shown inline, accepted with
the mayor's name, the time and the document's SHA-256 in the audit trail."""

import io
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader

from fonds.audit.models import AuditEvent
from fonds.comite.testing import Committee
from fonds.documents.models import GeneratedDocument
from fonds.dossiers.services import TransitionRefused, perform
from fonds.dossiers.states import Status
from fonds.suivi.convention import convention_key, ensure_convention
from fonds.suivi.views import convention as convention_views

from .conftest import at_status

pytestmark = pytest.mark.django_db


def pdf_text(document) -> str:
    with document.file.open("rb") as fh:
        reader = PdfReader(io.BytesIO(fh.read()))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages).replace("\u00a0", " "))


def test_convention_pdf_content(approved):
    text = pdf_text(ensure_convention(approved))
    assert "Convention attributive de subvention" in text
    assert "Saint-Exemple-sur-Loire" in text and "SIREN 213401234" in text
    assert "5 670 €" in text  # the approved amount
    assert "75 %" in text and "4 252,50 €" in text  # advance: % of the rules, amount
    assert "30 jours" in text and "2 mois" in text  # acceptance and report deadlines from the rules
    assert "Publicité" in text and "ordre de reversement" in text and "rapport final" in text
    assert approved.reference in text and "Ministère de l'Europe et des Affaires étrangères" in text


def test_convention_reads_advance_pct_from_campaign_rules(approved):
    rules = approved.campaign.rules
    params = rules.params
    params["payment"]["advance_pct"] = "60"
    rules.new_version(params, note="avance 60 %")
    approved.campaign._current_rules = None
    text = pdf_text(ensure_convention(approved))
    assert "60 %" in text and "3 402 €" in text


def test_convention_generation_is_idempotent_and_audited(approved):
    first = ensure_convention(approved)
    second = ensure_convention(approved)
    assert (
        first.pk == second.pk and first.key == convention_key(approved) == f"convention-{approved.pk}-5670.00"
    )
    assert GeneratedDocument.objects.filter(kind="convention").count() == 1
    (event,) = AuditEvent.objects.filter(action="convention_generated")
    assert event.data["payload"]["sha256"] == first.sha256 and event.object_id == str(approved.pk)


def test_convention_generated_by_task_on_approval(cast, dossier, django_capture_on_commit_callbacks):
    at_status(dossier, Status.INSTRUCTED, proposed_amount="5670.00")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        Committee(admin=cast.admin, chair=cast.comite).decide(dossier, "approve")
    assert len(callbacks) >= 1
    assert GeneratedDocument.objects.filter(
        kind="convention", key=f"convention-{dossier.pk}-5670.00", dossier=dossier
    ).exists()


def test_acceptance_audit_payload_contains_name_time_sha256(cast, approved):
    document = ensure_convention(approved)
    perform(
        approved,
        "accept_agreement",
        by=cast.porteur,
        data={"signatory_name": "  Marie   Dupont ", "document_sha256": document.sha256.upper()},
    )
    assert approved.status == Status.AGREEMENT_SIGNED
    event = AuditEvent.objects.get(action="accept_agreement")
    data = event.data["payload"]["data"]
    assert data["signatory_name"] == "Marie Dupont"
    assert data["document_sha256"] == document.sha256
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", data["accepted_at"])
    assert data["convention_key"] == document.key and event.actor_id == cast.porteur.pk


def test_acceptance_refused_when_the_hash_does_not_match(cast, approved):
    ensure_convention(approved)
    before = AuditEvent.objects.count()
    with pytest.raises(TransitionRefused) as refused:
        perform(
            approved,
            "accept_agreement",
            by=cast.porteur,
            data={"signatory_name": "Marie Dupont", "document_sha256": "0" * 64},
        )
    assert refused.value.kind == "condition" and "convention a changé" in refused.value.message
    assert refused.value.rules == ["convention_changed"]
    approved.refresh_from_db()
    assert approved.status == Status.APPROVED and AuditEvent.objects.count() == before


def test_acceptance_refused_when_the_amount_was_amended_after_reading(cast, approved):
    old = ensure_convention(approved)
    at_status(approved, Status.APPROVED, approved_amount="5000.00")
    ensure_convention(approved)
    with pytest.raises(TransitionRefused, match="convention a changé"):
        perform(
            approved,
            "accept_agreement",
            by=cast.porteur,
            data={"signatory_name": "Marie Dupont", "document_sha256": old.sha256},
        )


def test_acceptance_refused_without_signatory_name(cast, approved):
    document = ensure_convention(approved)
    with pytest.raises(TransitionRefused, match="prénom et nom"):
        perform(
            approved,
            "accept_agreement",
            by=cast.porteur,
            data={"signatory_name": " ", "document_sha256": document.sha256},
        )


def test_acceptance_refused_before_the_convention_exists(cast, approved):
    with pytest.raises(TransitionRefused, match="pas encore établie"):
        perform(
            approved,
            "accept_agreement",
            by=cast.porteur,
            data={"signatory_name": "Marie Dupont", "document_sha256": "a" * 64},
        )


def test_convention_page_shows_pdf_inline_and_accepts_with_name_and_checkbox(client, cast, approved):
    client.force_login(cast.porteur)
    url = reverse("suivi:convention", args=[approved.pk])
    html = client.get(url).content.decode()
    document = GeneratedDocument.objects.get(kind="convention")
    assert (
        f'data="{reverse("suivi:convention-pdf", args=[approved.pk])}"' in html
        and 'type="application/pdf"' in html
    )
    assert (
        "J&#x27;accepte la convention au nom de la commune" in html and 'value="Marie Dupont"' not in html
    )  # typed, not prefilled
    assert document.sha256 in html
    missing_box = client.post(url, {"signatory_name": "Marie Dupont", "document_sha256": document.sha256})
    assert missing_box.status_code == 400
    response = client.post(
        url, {"signatory_name": "Marie Dupont", "accept": "on", "document_sha256": document.sha256}
    )
    assert response.status_code == 302
    approved.refresh_from_db()
    assert approved.status == Status.AGREEMENT_SIGNED
    assert "Acceptée au nom de la commune par" in client.get(url).content.decode()


def test_convention_page_with_stale_hash_shows_refusal_and_the_current_hash(client, cast, approved):
    client.force_login(cast.porteur)
    url = reverse("suivi:convention", args=[approved.pk])
    client.get(url)
    document = GeneratedDocument.objects.get(kind="convention")
    response = client.post(
        url, {"signatory_name": "Marie Dupont", "accept": "on", "document_sha256": "f" * 64}
    )
    html = response.content.decode()
    assert response.status_code == 400 and "convention a changé" in html
    assert f'value="{document.sha256}"' in html and 'value="Marie Dupont"' in html


def test_convention_pdf_is_access_checked_and_frameable_by_the_page(client, cast, approved):
    url = reverse("suivi:convention-pdf", args=[approved.pk])
    client.force_login(cast.other_porteur)
    assert client.get(url).status_code == 404
    client.force_login(cast.porteur)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    download = client.get(url + "?telecharger=1")
    assert download["Content-Disposition"].startswith("attachment")


def test_testing_helpers_walk_the_front_office_transitions(cast, approved, clock):
    from fonds.suivi.testing import acceptance_data, file_complete_report, travel_after_project

    perform(approved, "accept_agreement", by=cast.porteur, data=acceptance_data(approved))
    assert approved.status == Status.AGREEMENT_SIGNED
    at_status(approved, Status.ADVANCE_PAID)
    travel_after_project(clock, approved)  # the trip has happened
    assert file_complete_report(approved, by=cast.instructeur) is None  # only the porteur files it
    file_complete_report(approved, by=cast.porteur)
    perform(approved, "submit_report", by=cast.porteur)
    assert approved.status == Status.REPORT_SUBMITTED


def test_convention_generation_failure_is_said_with_help_not_retry(client, cast, approved, monkeypatch):
    def broken(dossier):
        raise OSError("WeasyPrint indisponible")

    monkeypatch.setattr(convention_views, "ensure_convention", broken)
    client.force_login(cast.porteur)
    response = client.get(reverse("suivi:convention", args=[approved.pk]))
    html = response.content.decode()
    assert response.status_code == 200 and "n&#x27;a pas pu être établie" in html
    assert reverse("conversation:thread", args=[approved.pk]) in html and "Actualiser la page" in html
    assert "réessayez" not in html.lower()
