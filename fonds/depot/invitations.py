"""Invitations: an account created by an administrator receives a one-time link, valid
``settings.FJJ_INVITATION_DAYS`` days (7 by default), to choose its password.

The token is Django's password-reset token scheme (HMAC of the user's id, password hash, last
login and a timestamp) with a salt of its own — so an invitation link is not a password-reset
link and vice versa — and its own validity. It is one-time: choosing the password changes the
password hash, which invalidates the token.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode

from fonds import clock
from fonds.audit import chain as audit
from fonds.ops import outbox

DEFAULT_DAYS = 7


def invitation_days() -> int:
    return int(getattr(settings, "FJJ_INVITATION_DAYS", DEFAULT_DAYS))


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "fonds.depot.invitations.InvitationTokenGenerator"

    @property
    def max_age(self) -> int:
        """Validity in seconds."""
        return invitation_days() * 24 * 3600

    def issued_now(self) -> dt.datetime:
        """This generator's present, to the second: ``make_token_at(user, it)`` is the token
        ``make_token(user)`` gives now, so a task can rebuild a link from its issue time."""
        return self._now().replace(microsecond=0)

    def make_token_at(self, user, moment: dt.datetime) -> str:
        """A token as if issued at ``moment`` (naive UTC-free local arithmetic as Django's)."""
        return self._make_token_with_timestamp(user, self._num_seconds(moment), self.secret)

    def check_token(self, user, token, *, max_age: int | None = None):
        if not (user and token):
            return False
        try:
            ts_b36, _ = token.split("-")
            ts = base36_to_int(ts_b36)
        except ValueError:
            return False
        for secret in [self.secret, *self.secret_fallbacks]:
            if constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token):
                break
        else:
            return False
        age = self._num_seconds(self._now()) - ts
        return 0 <= age <= (self.max_age if max_age is None else max_age)


invitation_tokens = InvitationTokenGenerator()


def invitation_path(user, token: str | None = None) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse(
        "depot:invitation", kwargs={"uidb64": uid, "token": token or invitation_tokens.make_token(user)}
    )


def invitation_url(user, *, issued: dt.datetime, site_url: str) -> str:
    """The invitation link whose token was issued at ``issued`` (``invitation_tokens.issued_now()``)."""
    return site_url.rstrip("/") + invitation_path(user, invitation_tokens.make_token_at(user, issued))


def invitation_email(user, *, issued: dt.datetime, expires: dt.datetime, site_url: str) -> tuple[str, str]:
    """``(subject, body)`` of the invitation issued at ``issued``: rendered by the task
    (``fonds.depot.tasks.send_invitation_email``), so the link never waits in the outbox table."""
    context = {
        "user": user,
        "url": invitation_url(user, issued=issued, site_url=site_url),
        "commune": user.commune,
        "days": invitation_days(),
        "expires": timezone.localtime(expires),
        "fund_name": settings.FJJ_FUND_NAME,
    }
    return "Votre accès au Fonds Jumelages Jeunesse", render_to_string("depot/emails/invitation.txt", context)


def send_invitation(user, *, by=None, site_url: str | None = None, role: str | None = None) -> str:
    """Audit the invitation and queue its email (outbox); returns the link (for the admin's screen).

    The outbox message carries the issue time, not the link: the task derives the same token.
    ``role``: the inviter's role in the audit event (an instructor inviting an expert, issue 20)."""
    days = invitation_days()
    site_url = site_url or settings.FJJ_SITE_URL
    issued = invitation_tokens.issued_now()
    expires = clock.now() + dt.timedelta(days=days)
    with transaction.atomic():
        audit.append(
            "invitation_sent",
            actor=by,
            role=role or ("admin" if by is not None else "system"),
            obj=user,
            payload={"email": user.email, "expires_at": expires, "days": days},
        )
        outbox.enqueue(
            "fonds.depot.tasks.send_invitation_email",
            user.pk,
            issued.isoformat(),
            expires.isoformat(),
            site_url,
        )
    return invitation_url(user, issued=issued, site_url=site_url)
