"""The accessibility statement (issue 18, RGAA 4.1 model): a public page read from the browser
suite's axe-core results (docs/accessibilite/axe-results.json), linked from every page's footer."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from fonds.web import accessibility
from tests.french import text_problems, visible_text

pytestmark = pytest.mark.django_db

SECTIONS = (
    "État de conformité",
    "Résultats des tests",
    "Contenus non accessibles",
    "Établissement de cette déclaration",
    "Retour d'information et contact",
    "Voies de recours",
    "Défenseur des droits",
)


def results(path, checks):
    path.write_text(
        json.dumps(
            {
                "generated_on": "2026-12-05",
                "tool": "axe-core 4.14.1",
                "browser": "Chromium (Debian) piloté par Playwright 1.50",
                "rules": ["wcag2a", "wcag2aa"],
                "widths": [1280, 375],
                "checks": checks,
            }
        ),
        encoding="utf-8",
    )
    return path


def check(label, width, violations=()):
    return {
        "journey": "porteur",
        "label": f"{label} — {width} px",
        "path": "/depot/",
        "width": width,
        "passes": 30,
        "violations": list(violations),
    }


def test_statement_is_public_and_follows_the_rgaa_model(client):
    response = client.get(reverse("accessibility"))
    assert response.status_code == 200
    html = response.content.decode()
    for section in SECTIONS:
        assert section in html, section
    assert f"est <strong>{accessibility.STATUS}</strong>" in html
    assert text_problems(visible_text(html)) == []


def test_footer_links_to_the_statement_with_its_status(client):
    html = client.get(reverse("login")).content.decode()
    assert f'href="{reverse("accessibility")}">Accessibilité : {accessibility.STATUS}</a>' in html


def test_statement_reflects_the_results_file(client, tmp_path, monkeypatch):
    path = results(
        tmp_path / "axe-results.json",
        [
            check("Mes dossiers", 1280),
            check(
                "Mes dossiers", 375, [{"id": "color-contrast", "impact": "serious", "help": "x", "nodes": 2}]
            ),
            check("Paiements", 1280),
        ],
    )
    monkeypatch.setattr(accessibility, "RESULTS", path)
    html = client.get(reverse("accessibility")).content.decode()
    assert "Le 5 décembre 2026, 3 vérifications automatisées ont été menées sur 2 pages" in html
    assert "1\u00a0280 px et 375 px" in html and "axe-core 4.14.1" in html
    assert "2 sans aucune erreur détectée" in html
    assert (
        "Contraste du texte insuffisant (critère 3.2) — gravité grave — 1 page : Mes dossiers (375 px)"
        in html
    )
    assert "<li>Mes dossiers</li>" in html and "<li>Paiements</li>" in html

    results(path, [check("Mes dossiers", 1280), check("Mes dossiers", 375)])
    html = client.get(reverse("accessibility")).content.decode()
    assert "Aucune erreur n'a été détectée par l'outil automatique, quelle que soit sa gravité." in html


def test_statement_without_results_says_so(client, tmp_path, monkeypatch):
    monkeypatch.setattr(accessibility, "RESULTS", tmp_path / "absent.json")
    html = client.get(reverse("accessibility")).content.decode()
    assert "Aucun résultat de test n'est encore disponible." in html
