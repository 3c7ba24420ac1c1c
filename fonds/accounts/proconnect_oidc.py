"""The ProConnect door, with mozilla-django-oidc: the authorization request (state, nonce, PKCE
kept in the session) and the callback (code exchanged, id_token checked against the provider's
JWKS — signature, nonce, issuer, audience —, userinfo read). Loaded on the first ProConnect
request only (``proconnect_views``), not in every process.

The callback is ours rather than the library's: it shows a French page for each refusal
(``proconnect.ProConnectRefused``), applies the sign-in limits and the lockout of the password
door (``security``), then signs the account in — verified when the provider's MFA stands for TOTP.
"""

from __future__ import annotations

import logging

import jwt
import requests
from django.conf import settings
from django.contrib.auth import login
from django.core.exceptions import SuspiciousOperation
from django.shortcuts import redirect, render
from django_otp import login as otp_login
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from . import proconnect
from .security import is_locked_out, lockout_response, sign_in_completed, sign_in_refusal

log = logging.getLogger("fonds.accounts")

PASSWORD_BACKEND = "django.contrib.auth.backends.ModelBackend"  # the session's backend, as after a password
FAILED = (
    "La connexion avec ProConnect n'a pas abouti. Réessayez ; si le problème persiste, connectez-vous "
    "avec votre adresse électronique et votre mot de passe."
)
EXPIRED = (
    "Cette demande de connexion ProConnect a expiré ou a déjà servi. Recommencez depuis la page de connexion."
)
UNAVAILABLE = (
    "La connexion avec ProConnect est momentanément indisponible. Connectez-vous avec votre adresse "
    "électronique et votre mot de passe, ou réessayez dans quelques minutes."
)


class ProConnectBackend(OIDCAuthenticationBackend):
    """Code exchange and token checks of mozilla-django-oidc, with our settings; it only *matches*
    the account (``proconnect.match_account``): the view completes the sign-in. Called by the view
    alone (not listed in ``AUTHENTICATION_BACKENDS``)."""

    get_settings = staticmethod(proconnect.oidc_setting)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.claims: dict = {}
        self.id_claims: dict = {}
        self.id_token = ""

    def store_tokens(self, access_token, id_token):
        """Kept on the backend: the view puts the id_token in the session after ``login``
        (which renews the session), for the sign-out's ``id_token_hint``."""
        self.id_token = id_token

    def verify_token(self, token, **kwargs):
        payload = super().verify_token(token, **kwargs)
        if "nonce" in kwargs:  # the id_token: issued by our provider, for us
            issuer = self.get_settings("OIDC_ISSUER", "")
            audience = payload.get("aud")
            audience = [audience] if isinstance(audience, str) else list(audience or [])
            if issuer and payload.get("iss") != issuer:
                raise SuspiciousOperation("id_token: émetteur inattendu")
            if self.OIDC_RP_CLIENT_ID not in audience:
                raise SuspiciousOperation("id_token: audience inattendue")
        return payload

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        if str(claims.get("sub") or "") != str(payload.get("sub") or "") or not payload.get("sub"):
            raise SuspiciousOperation("userinfo: sub différent de celui de l'id_token")
        self.claims, self.id_claims = claims, payload
        return proconnect.match_account(claims, payload)


class ProConnectStartView(OIDCAuthenticationRequestView):
    get_settings = staticmethod(proconnect.oidc_setting)


def _page(request, message: str, *, status: int, title: str = "Connexion avec ProConnect impossible"):
    context = {"title": title, "message": message}
    return render(request, "accounts/proconnect_refused.html", context, status=status)


class ProConnectCallbackView(OIDCAuthenticationCallbackView):
    get_settings = staticmethod(proconnect.oidc_setting)

    def get(self, request):
        states = request.session.get("oidc_states") or {}
        state = request.GET.get("state", "")
        entry = states.pop(state, None) if isinstance(states, dict) else None
        if entry is not None:  # one use only, whatever happens next
            request.session["oidc_states"] = states
            request.session.save()
        if request.GET.get("error"):
            return _page(request, FAILED, status=400)
        if entry is None or not request.GET.get("code"):
            return _page(request, EXPIRED, status=400)
        refusal = sign_in_refusal(request)
        if refusal is not None:
            return refusal
        backend = ProConnectBackend()
        try:
            user = backend.authenticate(
                request, nonce=entry["nonce"], code_verifier=entry.get("code_verifier")
            )
        except proconnect.ProConnectRefused as refused:
            log.info("proconnect refused: %s", refused.code)
            return _page(request, refused.message, status=403)
        except (requests.RequestException, jwt.PyJWTError, SuspiciousOperation, ValueError) as exc:
            log.warning("proconnect sign-in failed: %s", exc)
            return _page(request, FAILED, status=400)
        if user is None:  # a token the library refused (nonce, signature): logged by it
            return _page(request, FAILED, status=400)
        if is_locked_out(request, user):
            return lockout_response(request)
        device = proconnect.complete_sign_in(user, backend.claims, backend.id_claims)
        login(request, user, backend=PASSWORD_BACKEND)
        request.session[proconnect.SESSION_ID_TOKEN] = backend.id_token
        if device is not None:
            otp_login(request, device)
            sign_in_completed(request, user)
        return redirect(self.success_url)

    @property
    def success_url(self):
        return self.request.session.get("oidc_login_next") or settings.LOGIN_REDIRECT_URL


def _unless_unavailable(view):
    """The view, or the French 503 page when the provider's configuration cannot be read."""

    def guarded(request):
        try:
            return view(request)
        except proconnect.ProConnectUnavailable as exc:
            log.warning("proconnect unavailable: %s", exc)
            return _page(request, UNAVAILABLE, status=503)

    return guarded


#: « S'identifier avec ProConnect »: to the provider's authorization endpoint
start = _unless_unavailable(ProConnectStartView.as_view())
#: the provider's redirect back, with the code
callback = _unless_unavailable(ProConnectCallbackView.as_view())
