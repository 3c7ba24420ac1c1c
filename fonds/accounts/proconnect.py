"""ProConnect sign-in: configuration, the matching rules, and the audited completion of a sign-in.

ProConnect never creates an account. A first sign-in links an existing, active account whose
address is the identity's **verified** email, by storing its ``sub``; afterwards the ``sub`` alone
identifies the account, even if the email changes. Verified means ``email_verified`` true in the
userinfo (or, when the userinfo is silent, in the id_token); a claim false anywhere, or absent
everywhere, refuses the match (strict: docs/accounts.md). Signing out of a session opened with
ProConnect also ends the ProConnect session (``end_session_url``). The identity
provider's multi-factor assertion (``acr``/``amr`` of the id_token) stands for the TOTP step
when ``FJJ_PROCONNECT_MFA_REPLACES_TOTP``. The OIDC protocol itself: ``proconnect_oidc``.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.shortcuts import resolve_url
from mozilla_django_oidc.utils import import_from_settings

from fonds.audit import chain as audit
from fonds.refusals import Refused

from .models import ProConnectDevice, User
from .twofactor import needs_two_factor

log = logging.getLogger("fonds.accounts")

DISCOVERY_SECONDS = 3600
CALLBACK_URL_NAME = "accounts:proconnect-callback"
#: the session key of the id_token of a ProConnect sign-in (the ``id_token_hint`` of the sign-out)
SESSION_ID_TOKEN = "proconnect_id_token"


class ProConnectUnavailable(Exception):
    """The identity provider's configuration cannot be read (discovery down, settings missing)."""


class ProConnectRefused(Refused):
    """A ProConnect identity that signs in to no account; ``code`` says why (for the page)."""


UNVERIFIED = (
    "ProConnect n'a pas confirmé que l'adresse électronique de votre identité est vérifiée : "
    "elle ne peut pas servir à retrouver votre compte. Connectez-vous avec votre adresse et votre mot de "
    "passe, ou demandez à votre fournisseur d'identité de vérifier votre adresse."
)
UNKNOWN = (
    "Aucun compte du fonds n'est ouvert à l'adresse « {email} ». Les comptes sont créés sur invitation "
    "uniquement : demandez à l'administrateur du fonds de vous inviter à cette adresse, puis "
    "connectez-vous à nouveau avec ProConnect."
)
INACTIVE = (
    "Ce compte est désactivé : il ne permet plus de se connecter. Adressez-vous à l'administrateur du fonds."
)
OTHER_IDENTITY = (
    "Ce compte est déjà lié à une autre identité ProConnect. Connectez-vous avec celle-ci, ou avec "
    "votre adresse et votre mot de passe, et demandez à l'administrateur du fonds de corriger le lien."
)


def enabled() -> bool:
    return bool(getattr(settings, "FJJ_PROCONNECT_ENABLED", False))


def _words(value: str) -> set[str]:
    return {w.strip() for w in str(value or "").replace(" ", ",").split(",") if w.strip()}


def discovery() -> dict:
    """The provider's discovery document (cached an hour); ``{}`` when none is configured."""
    url = settings.FJJ_PROCONNECT_DISCOVERY_URL
    if not url:
        return {}
    key = "fjj:proconnect:discovery:" + hashlib.sha256(url.encode()).hexdigest()[:32]
    document = cache.get(key)
    if document is None:
        try:
            response = requests.get(url, timeout=settings.FJJ_PROCONNECT_TIMEOUT)
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise ProConnectUnavailable(f"discovery {url}: {exc}") from exc
        cache.set(key, document, DISCOVERY_SECONDS)
    return document


def oidc_settings() -> dict:
    """The ``OIDC_*`` settings of mozilla-django-oidc, from ``FJJ_PROCONNECT_*`` and discovery."""
    found = discovery()

    def endpoint(name: str, key: str) -> str:
        value = getattr(settings, f"FJJ_PROCONNECT_{name}", "") or found.get(key, "")
        if not value:
            raise ProConnectUnavailable(f"FJJ_PROCONNECT_{name} absent (ni réglage ni découverte)")
        return value

    extra = {"acr_values": settings.FJJ_PROCONNECT_ACR_VALUES} if settings.FJJ_PROCONNECT_ACR_VALUES else {}
    return {
        "OIDC_RP_CLIENT_ID": settings.FJJ_PROCONNECT_CLIENT_ID,
        "OIDC_RP_CLIENT_SECRET": settings.FJJ_PROCONNECT_CLIENT_SECRET,
        "OIDC_OP_AUTHORIZATION_ENDPOINT": endpoint("AUTHORIZATION_ENDPOINT", "authorization_endpoint"),
        "OIDC_OP_TOKEN_ENDPOINT": endpoint("TOKEN_ENDPOINT", "token_endpoint"),
        "OIDC_OP_USER_ENDPOINT": endpoint("USERINFO_ENDPOINT", "userinfo_endpoint"),
        "OIDC_OP_JWKS_ENDPOINT": endpoint("JWKS_ENDPOINT", "jwks_uri"),
        "OIDC_ISSUER": settings.FJJ_PROCONNECT_ISSUER or found.get("issuer", ""),
        "OIDC_RP_SIGN_ALGO": settings.FJJ_PROCONNECT_SIGN_ALGO,
        "OIDC_RP_SCOPES": settings.FJJ_PROCONNECT_SCOPES,
        "OIDC_USE_NONCE": True,
        "OIDC_USE_PKCE": settings.FJJ_PROCONNECT_USE_PKCE,
        "OIDC_TIMEOUT": settings.FJJ_PROCONNECT_TIMEOUT,
        "OIDC_CREATE_USER": False,
        "OIDC_AUTHENTICATION_CALLBACK_URL": CALLBACK_URL_NAME,
        "OIDC_AUTH_REQUEST_EXTRA_PARAMS": extra,
        "OIDC_REDIRECT_FIELD_NAME": "next",
    }


def oidc_setting(attr: str, *default):
    """``get_settings`` of the mozilla-django-oidc classes: ours first, then Django's settings."""
    values = oidc_settings()
    if attr in values:
        return values[attr]
    return import_from_settings(attr, *default)


def mfa_asserted(id_claims: dict) -> bool:
    """The identity provider says it checked a second factor: ``acr`` among
    ``FJJ_PROCONNECT_MFA_ACR`` (eidas2, eidas3), or ``amr`` naming one of ``FJJ_PROCONNECT_MFA_AMR``."""
    acr = str(id_claims.get("acr") or "")
    amr = id_claims.get("amr") or []
    amr = {amr} if isinstance(amr, str) else {str(a) for a in amr}
    return acr in _words(settings.FJJ_PROCONNECT_MFA_ACR) or bool(
        amr & _words(settings.FJJ_PROCONNECT_MFA_AMR)
    )


def _asserted(value) -> bool | None:
    """``email_verified`` as sent: True, False, or None when absent."""
    if value is None:
        return None
    return value is True or str(value).lower() == "true"


def email_verified(claims: dict, id_claims: dict | None = None) -> bool:
    """The provider vouches for the email: ``email_verified`` true in the userinfo, or in the
    id_token when the userinfo does not say; false in either, or said nowhere, is not verified."""
    said = [_asserted(c.get("email_verified")) for c in (claims, id_claims or {})]
    return said[0] is True and said[1] is not False if said[0] is not None else said[1] is True


def match_account(claims: dict, id_claims: dict | None = None) -> User:
    """The account this identity signs in to, or ``ProConnectRefused``: the ``sub`` when linked,
    else the verified email of an active account not linked to another identity."""
    sub = str(claims.get("sub") or "")
    user = User.objects.filter(proconnect_sub=sub).first() if sub else None
    if user is None:
        email = str(claims.get("email") or "").strip().lower()
        if not email_verified(claims, id_claims):
            raise ProConnectRefused("condition", UNVERIFIED, code="unverified_email")
        user = User.objects.filter(email__iexact=email).first() if email else None
        if user is None:
            raise ProConnectRefused("unknown", UNKNOWN.format(email=email), code="unknown_email")
        if user.proconnect_sub and user.proconnect_sub != sub:
            raise ProConnectRefused("conflict", OTHER_IDENTITY, code="other_identity")
    if not user.is_active:
        raise ProConnectRefused("role", INACTIVE, code="inactive")
    return user


def _mfa_payload(id_claims: dict) -> dict:
    amr = id_claims.get("amr") or []
    return {"acr": str(id_claims.get("acr") or ""), "amr": [amr] if isinstance(amr, str) else list(amr)}


def complete_sign_in(user: User, claims: dict, id_claims: dict) -> ProConnectDevice | None:
    """Link the identity on first sign-in and record the sign-in (one transaction, audited).
    Returns the device that verifies the session when the provider's MFA replaces TOTP, else None
    (the TOTP step still applies to the roles that need it)."""
    sub = str(claims["sub"])
    mfa = mfa_asserted(id_claims)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if not user.proconnect_sub:
            before = {"proconnect_sub": None, "email": user.email}
            user.proconnect_sub = sub
            user.save(update_fields=["proconnect_sub"])
            after = {"proconnect_sub": sub, "email": user.email}
            payload = {"before": before, "after": after, "matched_by": "verified_email"}
            audit.append("proconnect_linked", actor=user, role=user.main_role, obj=user, payload=payload)
        device = None
        replaces = mfa and settings.FJJ_PROCONNECT_MFA_REPLACES_TOTP and needs_two_factor(user)
        if replaces:
            device = ProConnectDevice.objects.filter(user=user).first() or ProConnectDevice.objects.create(
                user=user, name="ProConnect (multi-facteur du fournisseur d'identité)", confirmed=True
            )
        second = "proconnect" if replaces else ("totp" if needs_two_factor(user) else "none")
        payload = {"sub": sub, "email": str(claims.get("email") or ""), **_mfa_payload(id_claims)}
        payload.update(mfa_asserted=mfa, second_factor=second)
        audit.append("proconnect_sign_in", actor=user, role=user.main_role, obj=user, payload=payload)
    return device


def end_session_url(id_token: str) -> str | None:
    """Where the sign-out sends a ProConnect session: the provider's ``end_session_endpoint``
    with ``id_token_hint``, ``state`` and ``post_logout_redirect_uri`` (the sign-in page of
    ``FJJ_SITE_URL``, to register with the provider); None when the provider names none or
    cannot be read (the session then ends here only)."""
    try:
        endpoint = settings.FJJ_PROCONNECT_END_SESSION_ENDPOINT or discovery().get("end_session_endpoint")
    except ProConnectUnavailable as exc:
        log.warning("proconnect sign-out: %s", exc)
        return None
    if not endpoint:
        return None
    query = {
        "id_token_hint": id_token,
        "state": secrets.token_urlsafe(16),
        "post_logout_redirect_uri": settings.FJJ_SITE_URL.rstrip("/")
        + resolve_url(settings.LOGOUT_REDIRECT_URL),
    }
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(query)}"
