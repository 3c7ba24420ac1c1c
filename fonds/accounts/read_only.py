"""Auditors read everything and change nothing (issue 7): a state-changing request of a read-only
user (``roles.is_read_only``) is refused with 403 on every page, whatever the view does.

Allowed anyway: the user's own session (sign in and out, second factor, password), their own
notices and notification preferences (``/notifications/``), launching a decision export, and
asking for a complete dossier PDF or a campaign archive (``/preuves/``: documents of what is).
The API applies the same rule (``fonds.ui.api.ReadOnlyForAuditors``).
"""

from __future__ import annotations

from django.shortcuts import render

from .roles import is_read_only

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
ALLOWED_PREFIXES = (
    "/connexion/",
    "/deconnexion/",
    "/compte/",
    "/depot/compte/",
    "/api/",
    "/notifications/",
    "/preuves/",
)
ALLOWED_PATHS = frozenset({"/controle/exports/"})


class ReadOnlyAuditorMiddleware:
    """After the authentication and two-factor middlewares."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.method not in SAFE_METHODS
            and not request.path.startswith(ALLOWED_PREFIXES)
            and request.path not in ALLOWED_PATHS
        ):
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated and is_read_only(user):
                return render(request, "accounts/read_only.html", {"title": "Lecture seule"}, status=403)
        return self.get_response(request)
