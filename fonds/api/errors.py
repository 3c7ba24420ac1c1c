"""Errors as French JSON bodies; a bad input is a 4xx, never a 500.

Shapes: ``{"detail": "...", "code": "..."}`` for request-level errors, ``{"field": ["..."]}`` per
field for validation errors (DRF's convention), plus ``"rules"`` for refused eligibility.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from fonds.dossiers.services import TransitionRefused


def exception_handler(exc, context):
    if isinstance(exc, RecursionError):  # input nested beyond what any code path can walk (issue 14)
        return Response(
            {"detail": "Les données envoyées sont imbriquées trop profondément.", "code": "too_deep"},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, TransitionRefused):
        body = {"detail": exc.message, "code": exc.code or exc.kind}
        if exc.rules:
            body["rules"] = list(exc.rules)
        return Response(body, status=exc.http_status)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return Response(
                {k: [m for e in v for m in e.messages] for k, v in exc.error_dict.items()},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(
            {"detail": " ".join(exc.messages), "code": "invalid"}, status=status.HTTP_400_BAD_REQUEST
        )
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Ressource introuvable.")
    response = drf_exception_handler(exc, context)
    if (
        response is not None
        and isinstance(response.data, dict)
        and "detail" in response.data
        and "code" not in response.data
    ):
        detail = response.data["detail"]
        response.data["code"] = getattr(detail, "code", "error")
    return response
