"""Texts of documents: edited per campaign, previewed as a PDF before saving, one audit event."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string

from fonds.administration import texts
from fonds.administration.guards import AdminRefused
from fonds.administration.models import DocumentTexts
from fonds.audit.models import AuditEvent
from fonds.documents.texts import campaign_texts
from tests.factories import make_campaign, make_user

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
