"""The two ProConnect addresses: 404 while ``FJJ_PROCONNECT_ENABLED`` is off; on, the OIDC
client (``proconnect_oidc``: mozilla-django-oidc, PyJWT), loaded on the first request so that
no process pays its import when ProConnect is unused (docs/benchmarks.md, issue 15)."""

from __future__ import annotations

from django.http import Http404

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
