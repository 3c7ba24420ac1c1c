"""The shared Redis cache, as two aliases that survive an outage (issue 14).

``default`` (``FailSoftRedisCache``: sessions, cached figures) turns a failure into a miss or a
skipped write; ``limits`` (``StrictRedisCache``: sign-in limits, API throttles) raises
``CacheUnavailable`` and each caller decides (sign-in closes, API throttles open). A per-process
circuit breaker keeps a down Redis off the network for ``FJJ_CACHE_RETRY_SECONDS``.
"""

from __future__ import annotations

import functools
import logging
import threading
import time

import redis
from django.conf import settings
from django.core.cache.backends.redis import RedisCache

log = logging.getLogger("fonds.cache")

OUTAGE_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
OPERATIONS = (
    "add",
    "get",
    "set",
    "touch",
    "delete",
    "get_many",
    "has_key",
    "incr",
    "set_many",
    "delete_many",
    "clear",
)


class CacheUnavailable(Exception):
    """The shared cache did not answer (or is known to be down): nothing was read or written."""


class Breaker:
    """Down/up state of one Redis address in this process."""

    def __init__(self, location: str):
        self.location = location
        self.down_until = 0.0
        self.down = False
        self._lock = threading.Lock()

    def closed(self) -> bool:
        return time.monotonic() >= self.down_until

    def trip(self, error: BaseException) -> None:
        retry = float(getattr(settings, "FJJ_CACHE_RETRY_SECONDS", 5))
        with self._lock:
            first = not self.down
            self.down, self.down_until = True, time.monotonic() + retry
        if first:
            log.warning(
                "Cache Redis indisponible (%s : %s) : sessions lues en base, connexions refusées, "
                "limites de l'API levées ; nouvel essai toutes les %.0f s.",
                self.location,
                type(error).__name__,
                retry,
            )

    def recovered(self) -> None:
        if self.down:
            with self._lock:
                was_down, self.down, self.down_until = self.down, False, 0.0
            if was_down:
                log.warning("Cache Redis de nouveau disponible (%s).", self.location)


_breakers: dict[str, Breaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(location: str) -> Breaker:
    with _breakers_lock:
        return _breakers.setdefault(location, Breaker(location))


def _guarded(name: str):
    original = getattr(RedisCache, name)

    @functools.wraps(original)
    def guarded(self, *args, **kwargs):
        breaker = self.breaker
        if not breaker.closed():
            return self.unavailable(name, args, kwargs)
        try:
            result = original(self, *args, **kwargs)
        except OUTAGE_ERRORS as error:
            breaker.trip(error)
            return self.unavailable(name, args, kwargs)
        breaker.recovered()
        return result

    return guarded


class _GuardedRedisCache(RedisCache):
    @functools.cached_property
    def breaker(self) -> Breaker:
        return breaker_for(",".join(self._servers))

    def unavailable(self, name: str, args: tuple, kwargs: dict):
        raise CacheUnavailable(f"cache Redis indisponible ({self.breaker.location}) : {name}")


for _name in OPERATIONS:
    setattr(_GuardedRedisCache, _name, _guarded(_name))


class StrictRedisCache(_GuardedRedisCache):
    """Raises ``CacheUnavailable`` when Redis is down: for counters that must be exact."""


class FailSoftRedisCache(_GuardedRedisCache):
    """Reads miss and writes are skipped when Redis is down: for what the database can answer."""

    def unavailable(self, name: str, args: tuple, kwargs: dict):
        if name == "get":
            return kwargs.get("default", args[1] if len(args) > 1 else None)
        if name == "get_many":
            return {}
        if name == "set_many":
            return list(kwargs.get("data", args[0] if args else {}))  # the keys not set
        if name in ("add", "has_key", "touch", "delete"):
            return False
        if name == "incr":  # no count can be made up
            return super().unavailable(name, args, kwargs)
        return None  # set, delete_many, clear
