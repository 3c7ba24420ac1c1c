"""Sturdy for anonymous traffic: cached page data and a rate limit per client.

The data of a public page (the rows, the count, the figures, the map) is cached in the ``default``
cache under its path and normalised query string, behind a generation number: a publication change
bumps it (``bump``, on commit), and the short TTL (``FJJ_PUBLIC_CACHE_SECONDS``, 60 s) covers the
status changes done elsewhere (a convention accepted, an award renounced). Data, not HTML: the
page is still rendered for each visitor (header, sign-in link), so nothing personal is ever cached.

``limited(request)`` counts the request against ``FJJ_PUBLIC_RATE`` per client address (the one
IP policy, ``fonds.accounts.client_ip``); when the counters' cache is down it lets requests through
(reading public pages must not stop).
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache as default_cache
from django_ratelimit.core import get_usage

from fonds.accounts.cache import CacheUnavailable
from fonds.accounts.client_ip import ratelimit_key

GENERATION_KEY = "fjj:public:generation"


def ttl() -> int:
    return int(getattr(settings, "FJJ_PUBLIC_CACHE_SECONDS", 60))


def rate(group=None, request=None) -> str:
    return str(getattr(settings, "FJJ_PUBLIC_RATE", "120/m"))


def generation() -> int:
    return default_cache.get(GENERATION_KEY) or 0


def bump() -> None:
    """Every cached public datum becomes stale (a publication changed)."""
    try:
        default_cache.incr(GENERATION_KEY)
    except ValueError:  # no generation yet
        default_cache.set(GENERATION_KEY, 1, None)
    except CacheUnavailable:  # the cache is down: what it held comes back at most ttl() seconds old
        pass


def key(name: str, params: dict) -> str:
    query = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if v not in ("", None))
    digest = hashlib.sha256(query.encode("utf-8")).hexdigest()[:32]
    return f"fjj:public:{generation()}:{name}:{digest}"


def cached(name: str, params: dict, compute):
    """``compute()``, read from the cache when the same page with the same filters was computed
    less than ``ttl()`` seconds ago, in this generation (``FJJ_PUBLIC_CACHE_SECONDS=0``: never)."""
    seconds = ttl()
    if seconds <= 0:
        return compute()
    cache_key = key(name, params)
    value = default_cache.get(cache_key)
    if value is None:
        value = compute()
        default_cache.set(cache_key, value, seconds)
    return value


def limited(request) -> bool:
    """Over the per-client rate of the public pages? (Counted; fails open.)"""
    try:
        usage = get_usage(request, group="fjj-public", key=ratelimit_key, rate=rate, increment=True)
    except CacheUnavailable:
        return False
    if usage is None or usage["limit"] == 0:  # no limit, or the counters' cache failed: open
        return False
    return bool(usage["should_limit"])
