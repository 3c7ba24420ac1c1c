"""Two-factor authentication (TOTP, django-otp) for the fund's agents.

Required (``FJJ_REQUIRE_2FA``, on by default) for every user holding one of ``TWO_FACTOR_ROLES``:
instructeur, comité, finance, admin, auditeur — the porteurs (mayors) sign in with a password
only. ``RequireTwoFactorMiddleware`` sends such a user, once signed in with the password, to
``/compte/double-authentification/`` — to enrol an authenticator app the first time (secret shown
as text and as a QR code, confirmed by a first code), then to type the current code at each
sign-in. Until then every other page answers with that redirect (HTML) or 403 (API), whatever
headers come with it; the API checks it again at its own depth
(``fonds.api.authentication.VerifiedSessionAuthentication``). API tokens for those roles are only
issued with a valid ``otp`` code. Staff accounts (``is_staff``, the Django admin) need the second
factor too, whatever their roles: the admin signs in through the site's sign-in
(``fonds.accounts.views.admin_login``).
"""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from .roles import Role, roles_of

TWO_FACTOR_ROLES = frozenset({Role.INSTRUCTEUR, Role.COMITE, Role.FINANCE, Role.ADMIN, Role.AUDITEUR})
EXEMPT_PREFIXES = (
    "/compte/double-authentification/",
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
