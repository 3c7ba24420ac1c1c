"""Sign-in protection: lockout after repeated failures (django-axes) and rate limits (django-ratelimit).

Wrong passwords and wrong codes count alike per (email, IP); the counter is reset once a sign-in
is complete (``sign_in_completed``: the code for an agent, not its password step).
``sign_in_refusal`` limits attempts per IP and codes per account in the ``limits`` cache; when it
is down the doors close with a French 503. One IP policy: ``fonds.accounts.client_ip``.
"""

from __future__ import annotations

import functools
import logging

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django_ratelimit.core import get_usage

from .cache import CacheUnavailable
from .client_ip import client_ip, ratelimit_key

log = logging.getLogger("fonds.accounts")

LIMITED, UNAVAILABLE = "limited", "unavailable"
UNAVAILABLE_MESSAGE = (
    "La connexion est momentanément indisponible : le service qui compte les tentatives ne répond pas. "
    "Réessayez dans quelques minutes ; les personnes déjà connectées ne sont pas concernées."
)


def axes_username(request, credentials) -> str:
    credentials = credentials or {}
    value = credentials.get("username") or credentials.get("email")
    if not value and request is not None:
        value = request.POST.get("username") or request.POST.get("email")
    return (value or "").strip().lower()


def login_rate(group=None, request=None) -> str:
    return f"{int(getattr(settings, 'FJJ_LOGIN_RATE', 20))}/m"


def otp_rate(group=None, request=None) -> str:
    return str(getattr(settings, "FJJ_OTP_RATE", "10/15m"))


def _account_key(account_id, group, request) -> str:
    return f"compte:{account_id}"


def check_limits(request, *, ip: bool = True, account=None) -> str | None:
    """Count this sign-in attempt: None when it may go on, ``LIMITED`` over a limit, ``UNAVAILABLE``
    when the limiter cannot count (shared cache down).

    ``ip``: the per-address limit of the sign-in doors; ``account``: the user whose second-factor
    code is being tried (limited per account, so that many addresses do not multiply the guesses).
    """
    limits = []
    if ip:
        limits.append(("fjj-sign-in", ratelimit_key, login_rate))
    if account is not None:
        limits.append(("fjj-otp", functools.partial(_account_key, account.pk), otp_rate))
    try:
        for group, key, rate in limits:
            usage = get_usage(request, group=group, key=key, rate=rate, increment=True)
            if usage is None:
                continue
            if usage["limit"] == 0:  # django-ratelimit's "the cache failed" answer
                return UNAVAILABLE
            if usage["should_limit"]:
                return LIMITED
    except CacheUnavailable:
        return UNAVAILABLE
    return None


def too_many_requests(request, retry_after: int = 60) -> HttpResponse:
    context = {"title": "Trop de tentatives", "retry_after": retry_after}
    body = render_to_string("accounts/too_many_requests.html", context, request=request)
    response = HttpResponse(body, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def sign_in_unavailable(request) -> HttpResponse:
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": UNAVAILABLE_MESSAGE, "code": "sign_in_unavailable"}, status=503)
    else:
        context = {"title": "Connexion momentanément indisponible", "message": UNAVAILABLE_MESSAGE}
        body = render_to_string("accounts/sign_in_unavailable.html", context, request=request)
        response = HttpResponse(body, status=503)
    response["Retry-After"] = "60"
    response._has_been_logged = True  # the cache outage is logged once (fonds.cache), not per request
    return response


def sign_in_refusal(request, *, account=None) -> HttpResponse | None:
    """The answer refusing this sign-in attempt (429 / 503 page), or None when it may go on."""
    verdict = check_limits(request, account=account)
    if verdict == LIMITED:
        return too_many_requests(request)
    if verdict == UNAVAILABLE:
        return sign_in_unavailable(request)
    return None


# ---- the lockout (django-axes) ---------------------------------------------------------------


def credentials_of(user) -> dict:
    return {"username": user.get_username()}


def is_locked_out(request, user) -> bool:
    return AxesProxyHandler.is_locked(request, credentials_of(user))


def count_failed_code(request, user) -> bool:
    """A wrong second-factor code is a failed sign-in for django-axes (same (email, IP) counter as
    the password). Returns True when this failure locked the pair out."""
    user_login_failed.send(sender=__name__, credentials=credentials_of(user), request=request)
    return bool(getattr(request, "axes_locked_out", False))


def sign_in_completed(request, user) -> None:
    """The whole sign-in succeeded (password, and the code for an agent): reset the failures."""
    AxesProxyHandler.reset_attempts(ip_address=client_ip(request) or None, username=user.get_username())


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """django-axes lockout: the French page (HTML) or a JSON error (API), status 429."""
    minutes = int(getattr(settings, "FJJ_LOCKOUT_MINUTES", 15))
    if request.path.startswith("/api/"):
        detail = f"Trop d'essais de connexion échoués : réessayez dans {minutes} minutes."
        response = JsonResponse({"detail": detail, "code": "locked_out"}, status=429)
    else:
        context = {"title": "Compte temporairement bloqué", "cooloff_minutes": minutes}
        body = render_to_string("accounts/lockout.html", context, request=request)
        response = HttpResponse(body, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response
