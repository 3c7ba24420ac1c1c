"""DRF throttles on the one client-IP policy and the ``limits`` cache (issue 14).

* ``AnonRateThrottle`` / ``UserRateThrottle`` (every API view): keyed on ``client_ip`` (never on a
  client-supplied ``X-Forwarded-For`` unless ``FJJ_PROXY_COUNT`` says a proxy wrote it); when the
  shared cache is down they let the request through (fail open): reading and filing dossiers must
  not stop because a counter cannot be kept.
* ``SignInRateThrottle`` (scope ``token``, the token endpoint): keyed the same way, but when the
  cache is down it refuses with a French 503 (fail closed): guesses must always be counted.
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
