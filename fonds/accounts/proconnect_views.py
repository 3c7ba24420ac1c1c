"""The two ProConnect addresses: 404 while ``FJJ_PROCONNECT_ENABLED`` is off; on, the OIDC
client (``proconnect_oidc``: mozilla-django-oidc, PyJWT), loaded on the first request so that
no process pays its import when ProConnect is unused (docs/benchmarks.md, issue 15). And the
site's sign-out, which ends a ProConnect session at the provider too."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import Http404, HttpResponseRedirect

from . import proconnect


def _enabled_or_404() -> None:
    if not proconnect.enabled():
        raise Http404("ProConnect n'est pas activé.")


def start(request):
    _enabled_or_404()
    from . import proconnect_oidc  # noqa: PLC0415 — the OIDC client loaded on first use (issue 15)

    return proconnect_oidc.start(request)


def callback(request):
    _enabled_or_404()
    from . import proconnect_oidc  # noqa: PLC0415 — the OIDC client loaded on first use (issue 15)

    return proconnect_oidc.callback(request)


class SignOutView(auth_views.LogoutView):
    """Django's sign-out (POST); a session opened with ProConnect then goes to the provider's
    ``end_session_endpoint`` (``id_token_hint``, ``post_logout_redirect_uri``: the sign-in page),
    so that the next ProConnect sign-in on this browser asks who signs in again."""

    def post(self, request, *args, **kwargs):
        id_token = request.session.get(proconnect.SESSION_ID_TOKEN)
        response = super().post(request, *args, **kwargs)
        url = proconnect.end_session_url(id_token) if id_token and proconnect.enabled() else None
        return HttpResponseRedirect(url) if url else response
