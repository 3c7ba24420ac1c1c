"""8. The final report: a draft saved through an audited service, its balance preview, its
completeness checked at submit_report, whose audit event carries the content hash and balance."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fonds.audit.models import AuditEvent
from fonds.dossiers.services import TransitionRefused, perform
from fonds.dossiers.states import Status
from fonds.suivi.models import FinalReport
from fonds.suivi.services import report_sha256, save_report_draft
from tests.factories import PDF_BYTES

from .conftest import at_status

pytestmark = pytest.mark.django_db
D = Decimal


def complete_fields(dossier):
    return {
        "start_date": dossier.start_date,
        "end_date": dossier.end_date,
        "youth_ages": [14, 15, 15, 16, 17, 17, 18, 19],
        "leader_ages": [35, 42],
        "nights": 8,
        "nights_hosted": 4,
        "activity_report": "Une semaine d'échanges sportifs et culturels avec nos jeunes jumeaux.",
    }


LINES = [
    {"kind": "expense", "category": "travel", "label": "Train", "amount": D("6000.00"), "eligible": True},
    {"kind": "expense", "category": "accommodation", "label": "", "amount": D("4000.00"), "eligible": True},
    {
        "kind": "expense",
        "category": "other_expense",
        "label": "Cadeaux",
        "amount": D("300.00"),
        "eligible": False,
    },
    {"kind": "income", "category": "own_share", "label": "", "amount": D("2000.00"), "eligible": False},
]


def test_report_draft_save_is_audited_one_event_per_save(cast, advance_paid):
    save_report_draft(advance_paid, by=cast.porteur, fields={"nights": 8})
    report = save_report_draft(advance_paid, by=cast.porteur, fields={"nights": 8}, lines=LINES)
    events = list(AuditEvent.objects.filter(action="final_report_saved").order_by("seq"))
    assert len(events) == 2
    first, second = (e.data["payload"] for e in events)
    assert first["created"] is True and first["fields"] == {"nights": 8}
    assert second["created"] is False and second["fields"] == {} and len(second["lines"]) == 4
    assert second["content_sha256"] == report_sha256(report)
    assert events[1].object_type == "dossiers.dossier" and events[1].actor_role == "porteur"


def test_report_draft_refused_before_the_advance_is_paid(cast, dossier):
    at_status(dossier, Status.AGREEMENT_SIGNED, approved_amount=D("5670"))
    with pytest.raises(PermissionDenied):
        save_report_draft(dossier, by=cast.porteur, fields={"nights": 3})
    assert (
        not FinalReport.objects.exists()
        and not AuditEvent.objects.filter(action="final_report_saved").exists()
    )


def test_report_draft_refused_for_another_commune_and_staff(cast, advance_paid):
    for user in (cast.other_porteur, cast.instructeur, cast.finance):
        with pytest.raises(PermissionDenied):
            save_report_draft(advance_paid, by=user, fields={"nights": 3})


def test_participant_list_must_be_a_readable_pdf(cast, advance_paid):
    for name, data, message in [
        ("liste.pdf", b"\x89PNG\r\n\x1a\n" + b"0" * 100, "doit être un fichier PDF"),
        ("liste.pdf", b"%PDF-1.4 garbage", "illisible"),
        ("liste.pdf", b"", "vide"),
    ]:
        with pytest.raises(ValidationError, match=message):
            save_report_draft(advance_paid, by=cast.porteur, fields={}, participant_list=(name, data))
    assert not FinalReport.objects.exists()


def test_participant_list_stored_with_hash_in_the_trail(cast, advance_paid):
    import hashlib

    report = save_report_draft(
        advance_paid, by=cast.porteur, fields={}, participant_list=("Liste signée (été).pdf", PDF_BYTES)
    )
    digest = hashlib.sha256(PDF_BYTES).hexdigest()
    assert report.participant_list_sha256 == digest and report.participant_list.name.endswith(".pdf")
    payload = AuditEvent.objects.get(action="final_report_saved").data["payload"]
    assert payload["participant_list"]["sha256"] == digest and payload["participant_list"]["replaces"] is None


def test_report_incomplete_refused(cast, advance_paid, trip_over):
    with pytest.raises(TransitionRefused) as no_report:
        perform(advance_paid, "submit_report", by=cast.porteur)
    assert no_report.value.kind == "condition" and "pas encore été rempli" in no_report.value.message
    save_report_draft(
        advance_paid, by=cast.porteur, fields=complete_fields(advance_paid), lines=LINES
    )  # no participant list
    before = AuditEvent.objects.count()
    with pytest.raises(TransitionRefused) as refused:
        perform(advance_paid, "submit_report", by=cast.porteur)
    assert "incomplet" in refused.value.message and "liste des participants signée" in refused.value.message
    assert refused.value.rules == ["report_incomplete"]
    advance_paid.refresh_from_db()
    assert advance_paid.status == Status.ADVANCE_PAID and AuditEvent.objects.count() == before


def test_report_submit_audited_with_balance_and_content_hash(cast, advance_paid, trip_over):
    report = save_report_draft(
        advance_paid,
        by=cast.porteur,
        fields=complete_fields(advance_paid),
        lines=LINES,
        participant_list=("liste.pdf", PDF_BYTES),
    )
    perform(advance_paid, "submit_report", by=cast.porteur)
    assert advance_paid.status == Status.REPORT_SUBMITTED
    data = AuditEvent.objects.get(action="submit_report").data["payload"]["data"]
    # 10 travellers, 850 km green band 417 €, 4 nights not hosted: 4,170 + 1,000 + 500 = 5,670;
    # 80 % of 10,000 € eligible = 8,000; approved 5,670; advance 75 % = 4,252.50
    assert data["final_grant"] == "5670.00" and data["advance"] == "4252.50" and data["balance"] == "1417.50"
    assert data["report_sha256"] == report_sha256(report) and data["report"] == report.pk
    assert data["balance_breakdown"]["recovery"] is False
    report.refresh_from_db()
    assert report.submitted_at is not None
    with pytest.raises(PermissionDenied):  # frozen
        save_report_draft(advance_paid, by=cast.porteur, fields={"nights": 2})


def test_report_page_prefills_plan_saves_draft_and_previews_balance(client, cast, advance_paid, trip_over):
    client.force_login(cast.porteur)
    url = reverse("suivi:report", args=[advance_paid.pk])
    html = client.get(url).content.decode()
    assert 'value="14, 15, 15, 16, 17, 17, 18, 19"' in html  # the planned figures to adjust
    assert 'name="depenses-TOTAL_FORMS" value="6"' in html  # 4 planned expenses + 2 blank rows
    post = {
        "start_date": advance_paid.start_date.isoformat(),
        "end_date": advance_paid.end_date.isoformat(),
        "youth_ages": "14, 15, 16, 17, 18",
        "leader_ages": "40",
        "nights": "8",
        "nights_hosted": "4",
        "activity_report": "Très belle semaine.",
        "depenses-TOTAL_FORMS": "2",
        "depenses-INITIAL_FORMS": "0",
        "depenses-MIN_NUM_FORMS": "0",
        "depenses-MAX_NUM_FORMS": "60",
        "depenses-0-category": "travel",
        "depenses-0-label": "Train",
        "depenses-0-amount": "3000",
        "depenses-0-eligible": "on",
        "depenses-1-category": "food",
        "depenses-1-label": "",
        "depenses-1-amount": "",
        "recettes-TOTAL_FORMS": "1",
        "recettes-INITIAL_FORMS": "0",
        "recettes-MIN_NUM_FORMS": "0",
        "recettes-MAX_NUM_FORMS": "60",
        "recettes-0-category": "own_share",
        "recettes-0-label": "",
        "recettes-0-amount": "1000",
        "participant_list": SimpleUploadedFile("liste.pdf", PDF_BYTES, content_type="application/pdf"),
    }
    response = client.post(url, post)
    assert response.status_code == 302
    report = FinalReport.objects.get(dossier=advance_paid)
    assert report.youth_ages == [14, 15, 16, 17, 18] and report.lines.count() == 2
    html = client.get(url).content.decode()
    # 6 travellers × 417 = 2,502 + 4 × 6 × 25 = 600 + 500 = 3,602; 80 % × 3,000 = 2,400 → final 2,400;
    # advance 4,252.50 → balance −1,852.50: a recovery order will follow
    assert "Aperçu du solde" in html and "2\u00a0400\u00a0€" in html and "4\u00a0252,50\u00a0€" in html
    assert "Trop-perçu à reverser" in html and "procédure contradictoire" in html
    assert reverse("suivi:report-submit", args=[advance_paid.pk]) in html


def test_report_page_bad_input_keeps_data_and_lists_errors(client, cast, advance_paid):
    client.force_login(cast.porteur)
    url = reverse("suivi:report", args=[advance_paid.pk])
    post = {
        "youth_ages": "14, quinze",
        "leader_ages": "40",
        "nights": "2",
        "nights_hosted": "5",
        "activity_report": "Texte conservé",
        "depenses-TOTAL_FORMS": "1",
        "depenses-INITIAL_FORMS": "0",
        "depenses-MIN_NUM_FORMS": "0",
        "depenses-MAX_NUM_FORMS": "60",
        "depenses-0-category": "travel",
        "depenses-0-label": "Car",
        "depenses-0-amount": "",
        "recettes-TOTAL_FORMS": "0",
        "recettes-INITIAL_FORMS": "0",
        "recettes-MIN_NUM_FORMS": "0",
        "recettes-MAX_NUM_FORMS": "60",
    }
    response = client.post(url, post)
    html = response.content.decode()
    assert response.status_code == 400 and 'id="resume-erreurs"' in html
    assert (
        "« quinze » n&#x27;est pas un âge" in html
        and "ne peuvent dépasser" in html
        and "Indiquez le montant" in html
    )
    assert "Texte conservé" in html and 'value="14, quinze"' in html
    assert not FinalReport.objects.exists()


def test_report_submit_page_confirms_then_submits(client, cast, advance_paid, trip_over):
    save_report_draft(
        advance_paid,
        by=cast.porteur,
        fields=complete_fields(advance_paid),
        lines=LINES,
        participant_list=("liste.pdf", PDF_BYTES),
    )
    client.force_login(cast.porteur)
    url = reverse("suivi:report-submit", args=[advance_paid.pk])
    assert "Solde à verser à la commune" in client.get(url).content.decode()
    assert client.post(url, {}).status_code == 400
    assert client.post(url, {"confirm": "on"}).status_code == 302
    advance_paid.refresh_from_db()
    assert advance_paid.status == Status.REPORT_SUBMITTED


def test_report_not_editable_by_staff(client, cast, advance_paid):
    save_report_draft(advance_paid, by=cast.porteur, fields={"nights": 3})
    client.force_login(cast.instructeur)
    url = reverse("suivi:report", args=[advance_paid.pk])
    html = client.get(url).content.decode()
    assert "Chiffres déclarés" in html and "Enregistrer le brouillon" not in html
    assert client.post(url, {"nights": "1"}).status_code == 403


def test_planned_report_with_text_and_list_can_be_submitted(cast, advance_paid, trip_over):
    from fonds.suivi.services import planned_report

    fields, lines = planned_report(advance_paid)
    assert fields["youth_ages"] == advance_paid.youth_ages and len(lines) == 6
    save_report_draft(
        advance_paid,
        by=cast.porteur,
        fields={**fields, "activity_report": "Réalisé comme prévu."},
        lines=lines,
        participant_list=("liste.pdf", PDF_BYTES),
    )
    perform(advance_paid, "submit_report", by=cast.porteur)
    assert advance_paid.status == Status.REPORT_SUBMITTED
