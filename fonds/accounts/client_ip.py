"""The client's IP address: one policy for every limiter (issue 14).

The sign-in rate limit (django-ratelimit), the API throttles (DRF) and the lockout (django-axes)
all key on ``client_ip(request)``, driven by ``FJJ_PROXY_COUNT``:

* ``0`` (the default, no proxy in front): ``REMOTE_ADDR`` only; ``X-Forwarded-For`` is ignored,
  since any client can write it;
* ``N`` (N trusted proxies, each appending the address it saw): the Nth address from the right of
  ``X-Forwarded-For`` — the one the outermost trusted proxy wrote. DRF's ``NUM_PROXIES`` is set
  to the same number and reads the header the same way.

An address that is not a valid IP (a forged or broken header) falls back to ``REMOTE_ADDR``:
django-axes stores it in an IP column.
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
