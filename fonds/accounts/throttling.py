"""DRF throttles on the one client-IP policy and the ``limits`` cache (issue 14).

``AnonRateThrottle`` / ``UserRateThrottle`` let requests through when the cache is down (fail
open: reading and filing must not stop); ``SignInRateThrottle`` (the token endpoint) refuses
with a French 503 then (fail closed: guesses must always be counted).
"""

from __future__ import annotations

from django.core.cache import caches
from rest_framework import exceptions, throttling

from .cache import CacheUnavailable
from .client_ip import client_ip
from .security import UNAVAILABLE_MESSAGE


class SignInUnavailable(exceptions.APIException):
    status_code = 503
    default_detail = UNAVAILABLE_MESSAGE
    default_code = "sign_in_unavailable"


class _PolicyMixin:
    @property
    def cache(self):
        return caches["limits"]

    def get_ident(self, request):
        return client_ip(request) or "inconnue"


class _FailOpenMixin(_PolicyMixin):
    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except CacheUnavailable:
            return True  # logged once by fonds.cache


class AnonRateThrottle(_FailOpenMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(_FailOpenMixin, throttling.UserRateThrottle):
    pass


class SignInRateThrottle(_PolicyMixin, throttling.ScopedRateThrottle):
    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except CacheUnavailable:
            raise SignInUnavailable() from None
