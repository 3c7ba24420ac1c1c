"""The site's own error pages (issue 14): French, DSFR, a way back home, JSON under /api/, static
files that collectstatic keeps, one short log line and no traceback for a client's error."""

from __future__ import annotations

import html as htmllib
import io
import logging
import re
from contextlib import contextmanager

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from fonds.ops.staticfiles import FjjStaticFilesConfig
from tests.factories import make_commune, make_dossier, make_user

pytestmark = pytest.mark.django_db

DSFR_CSS = re.compile(r'<link rel="stylesheet"\s+href="(/static/dsfr/dist/dsfr/dsfr\.min\.css)"')
STATIC_REF = re.compile(r'(?:href|src)="/static/([^"#?]+)')


@contextmanager
def console_log():
    """What the production log handler (``console`` of settings.LOGGING, with its filters) writes."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(previous)


def assert_error_page(response, status: int, *phrases: str):
    html = htmllib.unescape(response.content.decode())
    assert response.status_code == status
    assert '<html lang="fr"' in html and f"Erreur {status}" in html
    assert DSFR_CSS.search(html), "the DSFR style sheet"
    assert "Retour à l'accueil" in html
    for phrase in phrases:
        assert phrase in html
    assert not any(t.name.startswith("viewflow/") for t in response.templates)
    return html


def test_404_page_is_french_dsfr_without_traceback(client):
    with console_log() as log:
        response = client.get("/cette-page-n-existe-pas/")
    assert_error_page(response, 404, "Page introuvable", "La page que vous cherchez est introuvable")
    assert "404.html" in [t.name for t in response.templates]
    lines = [line for line in log.getvalue().splitlines() if "/cette-page-n-existe-pas/" in line]
    assert len(lines) == 1 and "Traceback" not in log.getvalue()


def test_403_page_is_french_dsfr_without_traceback(client):
    client.force_login(make_user("instructeur"))
    with console_log() as log:
        response = client.get("/depot/nouveau/1/")  # the porteurs' area: PermissionDenied
    assert_error_page(response, 403, "Accès refusé", "Cette page est réservée aux porteurs de projet")
    lines = [line for line in log.getvalue().splitlines() if "/depot/nouveau/1/" in line]
    assert len(lines) == 1 and "Traceback" not in log.getvalue()


def test_csrf_failure_is_the_french_403_page():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/connexion/", {"username": "a@b.fr", "password": "x"})
    assert_error_page(response, 403, "Le formulaire a expiré")


def test_bad_host_is_the_french_400_page_without_traceback(client):
    with console_log() as log:
        response = client.get("/connexion/", HTTP_HOST="attaquant.example")
    assert_error_page(response, 400, "L'adresse du site utilisée pour cette requête n'est pas reconnue.")
    assert "Traceback" not in log.getvalue()


def test_lockout_429_page_has_the_error_design(client, settings):
    user = make_user("porteur")
    for _ in range(settings.FJJ_LOCKOUT_FAILURES + 1):
        response = client.post("/connexion/", {"username": user.email, "password": "mauvais-mot-de-passe"})
    assert_error_page(
        response, 429, "Compte temporairement bloqué", f"{settings.FJJ_LOCKOUT_MINUTES} minutes"
    )


def test_rate_limit_429_page_has_the_error_design(client, settings):
    settings.FJJ_LOGIN_RATE = 1
    for _ in range(3):
        response = client.post(
            "/connexion/", {"username": "x@exemple.fr", "password": "mauvais-mot-de-passe"}
        )
    assert_error_page(response, 429, "Trop de tentatives", "Réessayez dans 60 secondes")
    assert response["Retry-After"] == "60"


def test_too_many_requests_view_is_the_429_page(rf):
    """``fonds.web.errors.too_many_requests``: the view for any rate limit
    (django-ratelimit's RATELIMIT_VIEW)."""
    from fonds.web.errors import too_many_requests

    request = rf.get("/connexion/")
    request.user = AnonymousUser()
    response = too_many_requests(request, retry_after=90)
    assert response.status_code == 429 and response["Retry-After"] == "90"
    html = htmllib.unescape(response.content.decode())
    assert "Erreur 429" in html and "Réessayez dans 90 secondes" in html and DSFR_CSS.search(html)
    api = too_many_requests(rf.get("/api/v1/dossiers/"))
    assert (
        api.status_code == 429
        and api["Content-Type"] == "application/json"
        and "60 secondes" in api.content.decode()
    )


def test_api_errors_stay_json(client):
    response = client.get("/api/v1/nexiste-pas/")
    assert response.status_code == 404 and response.json() == {
        "detail": "Ressource introuvable.",
        "code": "not_found",
    }


@pytest.fixture
def failing_site(settings, monkeypatch):
    """A view that raises, and every context processor broken (as when the database is down)."""
    settings.ROOT_URLCONF = "tests.web.error_urls"

    def broken(request):
        raise RuntimeError("base de données injoignable")

    monkeypatch.setattr("fonds.web.context_processors.site_config", broken)
    monkeypatch.setattr("fonds.web.context_processors.navigation", broken)
    return Client(raise_request_exception=False)


def test_500_page_renders_without_database_or_context_processors(failing_site, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = failing_site.get("/panne/")
    html = assert_error_page(response, 500, "Erreur technique", "Réessayez dans quelques minutes")
    assert 'href="/"' in html


def test_500_of_the_api_is_json(failing_site):
    response = failing_site.get("/api/v1/panne/")
    assert response.status_code == 500 and response.json()["code"] == "server_error"


def collected_static_paths() -> set[str]:
    """What ``collectstatic`` copies: every finder's files, minus the project's ignore patterns."""
    patterns = FjjStaticFilesConfig.ignore_patterns
    return {path for finder in finders.get_finders() for path, _storage in finder.list(patterns)}


def test_error_pages_reference_only_collected_static_files(client, failing_site):
    """viewflow's templates linked a file collectstatic skips: every 404 of production was a 500."""
    pages = [
        client.get("/nexiste-pas/"),
        client.get("/connexion/", HTTP_HOST="attaquant.example"),
        failing_site.get("/panne/"),
    ]
    client.force_login(make_user("instructeur"))
    pages.append(client.get("/depot/nouveau/1/"))
    collected = collected_static_paths()
    referenced = {path for page in pages for path in STATIC_REF.findall(page.content.decode())}
    assert {
        "dsfr/dist/dsfr/dsfr.min.css",
        "dsfr/dist/artwork/pictograms/system/technical-error.svg",
    } <= referenced
    missing = sorted(referenced - collected)
    assert not missing, f"referenced by an error page but not collected: {missing}"


@pytest.mark.parametrize("where", ["unknown address", "another commune's dossier"])
def test_404_is_the_french_page_in_the_embedded_profile_too(client, settings, where):
    """DEBUG on (``make run``): no English technical 404, neither for an unknown address nor for a
    dossier of another commune (a view's Http404)."""
    settings.DEBUG = True
    url = "/cette-page-n-existe-pas/"
    if where != "unknown address":
        client.force_login(make_user("porteur", commune=make_commune()))
        url = reverse("suivi:timeline", args=[make_dossier(commune=make_commune()).pk])
    response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 404 and '<html lang="fr"' in html and "Page introuvable" in html
    assert "Retour à l'accueil" in html and DSFR_CSS.search(html)
    assert "Page not found" not in html and "Using the URLconf" not in html
