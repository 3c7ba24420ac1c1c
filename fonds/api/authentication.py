"""How the API knows who calls: a token, or a session that passed the second factor.

``StrictTokenAuthentication``: any ``Authorization`` header must be a valid ``Token <key>`` (else
401, never a fall-back to the session); tokens are issued only with a second-factor code.
``VerifiedSessionAuthentication``: a session without its TOTP step gets 403 ``two_factor_required``.
"""

from __future__ import annotations

from drf_spectacular.authentication import SessionScheme
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication, TokenAuthentication, get_authorization_header

from fonds.accounts.twofactor import TWO_FACTOR_REQUIRED_MESSAGE, is_verified, needs_two_factor


class StrictTokenAuthentication(TokenAuthentication):
    def authenticate(self, request):
        if "HTTP_AUTHORIZATION" not in request.META:
            return None
        words = get_authorization_header(request).split()
        if not words or words[0].lower() != self.keyword.lower().encode():
            message = "En-tête Authorization non reconnu : seul « Token <clé> » est accepté."
            raise exceptions.AuthenticationFailed(message, code="invalid_authorization")
        return super().authenticate(request)


class VerifiedSessionAuthentication(SessionAuthentication):
    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None and needs_two_factor(result[0]) and not is_verified(result[0]):
            raise exceptions.PermissionDenied(TWO_FACTOR_REQUIRED_MESSAGE, code="two_factor_required")
        return result


class VerifiedSessionScheme(SessionScheme):
    """The OpenAPI description of the session (cookie) authentication, as for DRF's class."""

    target_class = "fonds.api.authentication.VerifiedSessionAuthentication"
