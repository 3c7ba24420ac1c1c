"""Login protection: lockout after repeated failures (django-axes) and request rate limits.

* django-axes counts failures per (email, IP address) and locks that pair out for
  ``FJJ_LOCKOUT_MINUTES`` after ``FJJ_LOCKOUT_FAILURES`` failures — on the login form and on the
  API token endpoint alike (``axes_username`` reads either field).
* ``rate_limited(request, scope, limit, window)`` is a fixed-window counter in the cache (Redis
  in production, so every gunicorn worker shares it): the login form allows
  ``FJJ_LOGIN_RATE`` POSTs per minute per IP; the API uses DRF throttles (settings).
"""
from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.template.loader import render_to_string


def axes_username(request, credentials) -> str:
    credentials = credentials or {}
    value = credentials.get("username") or credentials.get("email")
    if not value and request is not None:
        value = request.POST.get("username") or request.POST.get("email")
    return (value or "").strip().lower()


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "inconnue"


def rate_limited(request, scope: str, limit: int, window: int = 60) -> bool:
    """Count this request; True when the caller went over ``limit`` requests in the window."""
    bucket = int(time.time() // window)
    key = f"fjj-rl:{scope}:{client_ip(request)}:{bucket}"
    if cache.add(key, 1, timeout=window + 5):
        return False
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window + 5)
        return False
    return count > limit


def too_many_requests(request, retry_after: int = 60) -> HttpResponse:
    body = render_to_string("accounts/too_many_requests.html", {"title": "Trop de tentatives", "retry_after": retry_after}, request=request)
    response = HttpResponse(body, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def login_rate() -> int:
    return int(getattr(settings, "FJJ_LOGIN_RATE", 20))


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """django-axes lockout: the French page (HTML) or a JSON error (API), status 429."""
    from django.http import JsonResponse

    minutes = int(getattr(settings, "FJJ_LOCKOUT_MINUTES", 15))
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"detail": f"Trop d'essais de connexion échoués : réessayez dans {minutes} minutes.", "code": "locked_out"}, status=429
        )
    else:
        body = render_to_string("accounts/lockout.html", {"title": "Compte temporairement bloqué", "cooloff_minutes": minutes}, request=request)
        response = HttpResponse(body, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response
