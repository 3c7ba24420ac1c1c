"""Two-factor authentication (TOTP, django-otp) for the fund's agents and staff accounts.

Required (``FJJ_REQUIRE_2FA``) for ``TWO_FACTOR_ROLES`` and ``is_staff``; porteurs use a password
only. ``RequireTwoFactorMiddleware`` sends such a user to ``/compte/double-authentification/``
(enrol, then a code at each sign-in): every other page redirects (HTML) or answers 403 (API).
API tokens for those roles need a valid ``otp`` code.
"""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from .roles import Role, roles_of

TWO_FACTOR_ROLES = frozenset(
    {Role.INSTRUCTEUR, Role.COMITE, Role.FINANCE, Role.ADMIN, Role.AUDITEUR, Role.EXPERT}
)
EXEMPT_PREFIXES = (
    "/compte/double-authentification/",
    "/compte/proconnect/",  # the ProConnect door, which may stand for the code step
    "/deconnexion/",
    "/static/",
    "/sante/",
    "/connexion/",
    "/api/v1/auth/token/",
)
TWO_FACTOR_REQUIRED_MESSAGE = "Double authentification requise : validez votre code sur le site."


def required() -> bool:
    return bool(getattr(settings, "FJJ_REQUIRE_2FA", True))


def needs_two_factor(user) -> bool:
    if not required() or user is None or not user.is_authenticated:
        return False
    return bool(user.is_staff or user.is_superuser or roles_of(user) & TWO_FACTOR_ROLES)


def is_verified(user) -> bool:
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def confirmed_device(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


class RequireTwoFactorMiddleware:
    """After ``OTPMiddleware``: agents must be OTP-verified to reach anything but the 2FA pages."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(EXEMPT_PREFIXES)
            and needs_two_factor(user)
            and not is_verified(user)
        ):
            if request.path.startswith("/api/"):
                # no exception for a request carrying an Authorization header: a half-open session
                # never reaches the API, whatever the header says (a token user sends no cookie)
                return JsonResponse(
                    {"detail": TWO_FACTOR_REQUIRED_MESSAGE, "code": "two_factor_required"}, status=403
                )
            return redirect(f"{reverse('accounts:two-factor')}?next={request.get_full_path()}")
        return self.get_response(request)
