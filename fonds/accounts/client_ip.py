"""The client's IP address: one policy for every limiter (issue 14), driven by ``FJJ_PROXY_COUNT``.

``0`` (no proxy): ``REMOTE_ADDR`` only, ``X-Forwarded-For`` ignored (any client writes it); ``N``
trusted proxies: the Nth address from the right of ``X-Forwarded-For`` (DRF's ``NUM_PROXIES`` is
the same number). An invalid address falls back to ``REMOTE_ADDR`` (django-axes stores an IP).
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def proxy_count() -> int:
    return max(0, int(getattr(settings, "FJJ_PROXY_COUNT", 0) or 0))


def _valid(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def client_ip(request) -> str:
    """The address every limiter counts this request against ("" when the server gives none)."""
    remote = (request.META.get("REMOTE_ADDR") or "").strip()
    count = proxy_count()
    if count:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if forwarded:
            candidate = forwarded[-min(count, len(forwarded))]  # as DRF's NUM_PROXIES
            if _valid(candidate):
                return candidate
    return remote if _valid(remote) else ""


def ratelimit_key(group, request) -> str:
    """django-ratelimit's key function (``key=``): the same address."""
    return client_ip(request) or "inconnue"
