"""Hostile input corpus (issue 8): XSS payloads in every text field, Unicode edge cases, NUL bytes,
oversized bodies, 10,000 budget lines — each refused or stored safely and shown escaped; zero 500."""
import io
import json

import pytest
from django.urls import reverse
from django.utils.html import escape
from pypdf import PdfReader

from fonds.depot.receipts import render_receipt_pdf
from fonds.dossiers.models import Dossier
from tests.factories import make_campaign, make_commune, make_dossier, make_user

pytestmark = pytest.mark.django_db

XSS = [
    '<script>alert("xss")</script>',
    '"><img src=x onerror=alert(1)>',
    "<svg/onload=alert(1)>",
    "javascript:alert(1)",
    "{{ 7*7 }}{% debug %}",
    '<img src="http://127.0.0.1:9/ssrf.png">',
]
UNICODE = [
    "Saint-Étienne-de-Saint-Geoirs — Œuvre « jeunesse »",
    "\u202egnp.exe\u202c",  # right-to-left override
    "Zéro\u200blargeur\u200djoint",
    "👩‍👩‍👧 jumelage 🇫🇷🇩🇪",
    "e\u0301\u0301\u0301 combinaisons",
    "ǅ ß ﬁ İ ı",
]
TEXT_FIELDS = ("title", "summary", "objectives")


@pytest.fixture
def porteur_client(client):
    commune = make_commune()
    porteur = make_user("porteur", commune=commune)
    client.force_login(porteur)
    client.porteur = porteur
    return client


@pytest.fixture
def draft(porteur_client):
    return make_dossier(commune=porteur_client.porteur.commune, porteur=porteur_client.porteur, complete=False, title="Brouillon")


def _step(dossier, slug):
    return reverse("depot:step", args=[dossier.pk, slug])


@pytest.mark.parametrize("payload", XSS + UNICODE)
def test_text_fields_store_payload_and_pages_escape_it(porteur_client, draft, payload):
    response = porteur_client.post(_step(draft, "projet"), {"title": payload[:200], "summary": payload, "objectives": payload, "action": "stay"})
    assert response.status_code in (200, 302)
    draft.refresh_from_db()
    assert draft.title == payload[:200].strip() or response.status_code == 200
    for url in (reverse("dossier-detail", args=[draft.pk]), _step(draft, "projet"), reverse("depot:check", args=[draft.pk]), reverse("depot:my-dossiers")):
        page = porteur_client.get(url)
        assert page.status_code == 200, url
        html = page.content.decode()
        if "<" in payload:
            assert payload not in html, url  # never the raw markup…
            if url == reverse("dossier-detail", args=[draft.pk]):
                assert escape(payload) in html  # …only its escaped text
        if payload.startswith("{{") and url == reverse("dossier-detail", args=[draft.pk]):
            assert escape(payload) in html  # shown as typed, never evaluated as a template


@pytest.mark.parametrize("payload", XSS)
def test_payload_in_a_pdf_is_text_never_markup(payload):
    commune = make_commune()
    dossier = make_dossier(commune=commune, title=payload)
    pdf = render_receipt_pdf({"fund_name": "Fonds", "reference": dossier.reference, "title": payload, "commune_name": commune.name, "commune_code": commune.code, "campaign_name": "c", "submitted_at": None, "requested_amount": None, "sha256": "0" * 64, "scheme": "s", "audit_seq": 1, "generated_at": None})
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    squeezed = "".join(text.split())
    assert "".join(payload.split())[:20] in squeezed  # the payload is printed as characters


def test_nul_byte_refused_by_the_form_in_french(porteur_client, draft):
    response = porteur_client.post(_step(draft, "projet"), {"title": "Titre\x00caché", "summary": "a\x00b", "action": "stay"})
    assert response.status_code == 200
    draft.refresh_from_db()
    assert "\x00" not in draft.title


@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_nul_byte_and_xss_through_the_api_never_500(porteur_client, draft, field):
    for value in ["a\x00b", *XSS, *UNICODE, "x" * 100_000]:
        response = porteur_client.patch(f"/api/v1/dossiers/{draft.pk}/", data=json.dumps({field: value}), content_type="application/json")
        assert response.status_code in (200, 400), (field, value[:30], response.status_code)
        if response.status_code == 200:
            assert "\x00" not in Dossier.objects.get(pk=draft.pk).__dict__[field]


def test_ten_thousand_budget_lines_refused_through_the_api(porteur_client, draft):
    lines = [{"kind": "expense", "category": "travel", "label": f"ligne {i}", "amount": "1.00"} for i in range(10_000)]
    response = porteur_client.patch(f"/api/v1/dossiers/{draft.pk}/", data=json.dumps({"budget_lines": lines}), content_type="application/json")
    assert response.status_code == 400
    assert not draft.budget_lines.exists()


def test_ten_thousand_budget_lines_refused_through_the_form(porteur_client, draft):
    data = {"expense-TOTAL_FORMS": "10000", "expense-INITIAL_FORMS": "0", "income-TOTAL_FORMS": "0", "income-INITIAL_FORMS": "0"}
    for i in range(10_000):
        data[f"expense-{i}-category"] = "travel"
        data[f"expense-{i}-amount"] = "1"
    response = porteur_client.post(_step(draft, "budget"), data)
    assert response.status_code in (200, 400)  # formset max or Django's field-count guard: never a 500
    assert not draft.budget_lines.exists()


def test_oversized_body_refused_with_413(porteur_client, draft, settings):
    response = porteur_client.post(_step(draft, "projet"), data=b"x" * 1024, content_type="application/octet-stream", CONTENT_LENGTH=str(settings.FJJ_MAX_REQUEST_MB * 1024 * 1024 + 1))
    assert response.status_code == 413
    assert "trop volumineuse" in response.content.decode()


def test_unicode_commune_and_user_names_render(client):
    commune = make_commune(name="L'Haÿ-les-Roses \u202e test")
    porteur = make_user("porteur", commune=commune, first_name="Zoë 👩‍🌾", last_name="Ñúñez\u200b")
    client.force_login(porteur)
    dossier = make_dossier(commune=commune, porteur=porteur, campaign=make_campaign())
    assert client.get(reverse("dossier-detail", args=[dossier.pk])).status_code == 200
    assert client.get(reverse("depot:my-dossiers")).status_code == 200
