"""Texts of documents: edited per campaign, previewed as a PDF before saving, one audit event."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template.loader import render_to_string

from fonds import clock
from fonds.administration import texts
from fonds.administration.guards import AdminRefused
from fonds.administration.models import DocumentTexts
from fonds.audit.models import AuditEvent
from fonds.depot.receipts import SubmissionRecord, receipt_context
from fonds.documents import texts as document_texts
from fonds.documents.texts import campaign_texts
from fonds.suivi.convention import convention_context
from tests.factories import make_campaign, make_dossier, make_user

pytestmark = pytest.mark.django_db

VALUES = {**texts.DEFAULTS, "signatory_name": "Claire Martin", "signatory_title": "La déléguée"}


def test_preview_is_a_pdf_and_saves_nothing():
    campaign = make_campaign()
    pdf = texts.preview_pdf(campaign, VALUES)
    assert pdf.startswith(b"%PDF")
    assert not DocumentTexts.objects.exists()


def test_save_texts_one_event_with_before_after():
    campaign = make_campaign()
    n = AuditEvent.objects.count()
    texts.save_texts(campaign, VALUES, by=make_user("admin"), motivation="Nouvelle signataire")
    assert texts.texts_for(campaign)["signatory_name"] == "Claire Martin"
    [event] = AuditEvent.objects.order_by("seq")[n:]
    payload = event.data["payload"]
    assert (event.action, payload["before"]["signatory_name"], payload["after"]["signatory_name"]) == (
        "document_texts_changed",
        "",
        "Claire Martin",
    )


def test_texts_only_by_an_administrator():
    with pytest.raises(AdminRefused):
        texts.save_texts(make_campaign(), VALUES, by=make_user("auditeur"), motivation="m")


def test_decision_letter_prints_the_campaign_texts():
    campaign = make_campaign()
    texts.save_texts(campaign, VALUES, by=make_user("admin"), motivation="m")
    saved = campaign_texts(campaign)  # what fonds.comite.letters reads (provider registered at start-up)
    assert saved["signatory_name"] == "Claire Martin"
    html = render_to_string("pdf/decision_letter.html", {"texts": saved, "authority": saved["authority"]})
    assert "Claire Martin" in html and "La déléguée" in html and "57, boulevard des Invalides" in html
    assert "le président de séance" not in html
    html = render_to_string("pdf/decision_letter.html", {"texts": {}, "authority": "MEAE"})
    assert "le président de séance" in html


def test_minutes_print_the_campaign_address_and_legal_mentions():
    saved = {
        **VALUES,
        "authority": "MEAE",
        "fund_address": "57, boulevard des Invalides",
        "legal_mentions": "Recours.",
    }
    html = render_to_string("pdf/comite_minutes.html", {"texts": saved, "fund_name": "Fonds"})
    assert "MEAE<br>Fonds" in html and "57, boulevard des Invalides" in html and "Recours." in html


def _receipt_html(dossier) -> str:
    record = SubmissionRecord(at=clock.now(), actor_id=None, sha256="0" * 64, scheme="v1", seq=1)
    return render_to_string("pdf/receipt.html", receipt_context(dossier, record))


def _convention_html(dossier) -> str:
    dossier.approved_amount = Decimal("5000.00")
    return render_to_string("pdf/convention.html", convention_context(dossier))


def test_receipt_prints_the_campaign_texts():
    dossier = make_dossier()
    saved = {**VALUES, "authority": "Préfecture de test", "legal_mentions": "Mentions du récépissé."}
    texts.save_texts(dossier.campaign, saved, by=make_user("admin"), motivation="m")
    html = _receipt_html(dossier)
    assert "Préfecture de test<br>" in html and "Mentions du récépissé." in html
    assert "57, boulevard des Invalides" in html


def test_receipt_without_texts_reads_as_before(monkeypatch):
    monkeypatch.setattr(document_texts, "_provider", None)  # no administration: no texts
    html = _receipt_html(make_dossier())
    assert "Affaires étrangères<br>" in html
    assert "boulevard des Invalides" not in html and "recours" not in html


def test_convention_prints_the_campaign_texts():
    dossier = make_dossier()
    saved = {**VALUES, "authority": "Préfecture de test", "legal_mentions": "Mentions de la convention."}
    texts.save_texts(dossier.campaign, saved, by=make_user("admin"), motivation="m")
    html = _convention_html(dossier)
    assert "Préfecture de test<br>" in html and "Mentions de la convention." in html
    assert "57, boulevard des Invalides" in html and "La déléguée, Claire Martin." in html


def test_convention_without_texts_reads_as_before(monkeypatch):
    monkeypatch.setattr(document_texts, "_provider", None)
    html = _convention_html(make_dossier())
    assert "Affaires étrangères (MEAE)<br>" in html
    assert "boulevard des Invalides" not in html and "Pour l&#x27;État" not in html and "recours" not in html
