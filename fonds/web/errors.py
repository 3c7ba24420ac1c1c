"""The site's own error pages (400, 403, 404, 429, 500, CSRF failure): French, DSFR, a way home;
JSON (``{"detail", "code"}``) under ``/api/``. The 4xx pages extend the layout (falling back to the
500 handler); the 500 page renders without the request (no database, static files only), else a
plain French HTML page. Pages link only static files that ``collectstatic`` keeps.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import DisallowedHost, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token

from fonds.ops.limits import HostileInput

logger = logging.getLogger("fonds.errors")

PLAIN_500 = (
    '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
    "<title>Erreur technique — Fonds Jumelages Jeunesse"
    "</title></head><body><main><h1>Erreur technique</h1><p>Le site rencontre un problème passager : votre "
    "demande n'a pas abouti. Réessayez dans quelques minutes.</p><p><a href=\"/\">Retour à l'accueil</a></p>"
    "</main></body></html>"
)

#: what a 400 says, by the exception that caused it (first match wins)
BAD_REQUEST_REASONS = (
    (DisallowedHost, "host", "L'adresse du site utilisée pour cette requête n'est pas reconnue."),
    (
        (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent),
        "too_large",
        "Le formulaire envoyé est trop volumineux ou compte trop de champs ou de fichiers : "
        "il n'a pas pu être traité.",
    ),
    (
        MultiPartParserError,
        "unreadable_form",
        "Le formulaire envoyé n'a pas pu être lu (nom de fichier trop long, envoi interrompu ou mal formé).",
    ),
)
GENERIC_BAD_REQUEST = "La requête reçue est mal formée : elle n'a pas pu être traitée."


def is_api(request) -> bool:
    return (getattr(request, "path", "") or "").startswith("/api/")


def _json(detail: str, code: str, status: int) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code}, status=status)


def _page(request, template: str, status: int, context: dict) -> HttpResponse:
    body = loader.render_to_string(template, context, request=request)
    return HttpResponse(body, status=status)


def _reason(exception) -> tuple[str, str]:
    if isinstance(exception, HostileInput):
        return exception.code, str(exception)
    for types, code, message in BAD_REQUEST_REASONS:
        if isinstance(exception, types):
            return code, message
    return "bad_request", GENERIC_BAD_REQUEST


@requires_csrf_token
def bad_request(request, exception=None):
    code, message = _reason(exception)
    if is_api(request):
        return _json(message, code, 400)
    return _page(request, "400.html", 400, {"title": "Requête incorrecte", "reason": message})


@requires_csrf_token
def permission_denied(request, exception=None):
    message = str(exception or "").strip()
    if is_api(request):
        return _json(message or "Vous n'avez pas accès à cette ressource.", "permission_denied", 403)
    return _page(request, "403.html", 403, {"title": "Accès refusé", "reason": message})


@requires_csrf_token
def page_not_found(request, exception=None):
    if is_api(request):
        return _json("Ressource introuvable.", "not_found", 404)
    return _page(request, "404.html", 404, {"title": "Page introuvable"})


class FrenchNotFoundWhenDebug:
    """With DEBUG on (the embedded profile of ``make run``) Django answers a 404 with its English
    technical page; a mayor or a recused member walking the demo gets the site's French page
    instead. With DEBUG off, ``handler404`` already serves it and this does nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            settings.DEBUG
            and response.status_code == 404
            and getattr(request, "resolver_match", None) is None
        ):
            return page_not_found(request)  # an address no route knows
        return response

    def process_exception(self, request, exception):
        if settings.DEBUG and isinstance(exception, Http404):
            return page_not_found(request, exception)  # a view's 404: not found, or not yours
        return None


def csrf_failure(request, reason=""):
    """``CSRF_FAILURE_VIEW``: Django's own page is in English and outside the site's design."""
    if is_api(request):
        return _json("Jeton CSRF absent ou invalide : rechargez la page puis recommencez.", "csrf", 403)
    return _page(request, "403.html", 403, {"title": "Formulaire expiré", "csrf": True})


def too_many_requests(request, exception=None, *, retry_after: int = 60):
    """The 429 page of any rate limit: usable as django-ratelimit's ``RATELIMIT_VIEW``. (The sign-in
    lockout and the login rate limit render ``accounts/*.html``, which extend the same 429.html.)"""
    if is_api(request):
        response = _json(f"Trop de requêtes : réessayez dans {retry_after} secondes.", "throttled", 429)
    else:
        response = _page(
            request, "429.html", 429, {"title": "Trop de tentatives", "retry_after": retry_after}
        )
    response["Retry-After"] = str(retry_after)
    return response


def server_error(request, *args, **kwargs):
    if is_api(request):
        return _json("Erreur technique : réessayez dans quelques minutes.", "server_error", 500)
    try:
        body = loader.get_template("500.html").render({})  # no request: no context processor, no database
    except Exception:  # noqa: BLE001 — the error page itself must never fail
        logger.exception("la page 500 n'a pas pu être produite")
        body = PLAIN_500
    return HttpResponse(body, status=500)
