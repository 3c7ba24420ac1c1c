"""Refuse, before any view, requests no page can serve: oversized bodies (413) and NUL bytes in the
URL or query string (400), each with a French message.

The limit (``FJJ_MAX_REQUEST_MB``, 60 MB by default) sits above the largest legitimate request —
the documents step with several files of at most ``uploads.max_file_mb`` each — and far below what
would let one client fill the disk or the memory; the reverse proxy should enforce the same.
"""

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import HttpResponse, JsonResponse


class MaxBodySizeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = int(getattr(settings, "FJJ_MAX_REQUEST_MB", 60)) * 1024 * 1024
        if length > limit:
            message = (
                f"Requête trop volumineuse : {length // (1024 * 1024)} Mo "
                f"pour {limit // (1024 * 1024)} Mo au plus."
            )
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message, "code": "request_too_large"}, status=413)
            return HttpResponse(
                '<!doctype html><html lang="fr"><title>Requête trop volumineuse</title>'
                f"<h1>Requête trop volumineuse</h1><p>{message}</p></html>",
                status=413,
            )
        return self.get_response(request)


class HostileInput(BadRequest):
    """A request refused for its form, whatever the page: its message is French and shown as is
    (400 page, or ``detail`` of the API's JSON; ``fonds/web/errors.py``)."""

    code = "hostile_input"


NUL_MESSAGE = "L'adresse demandée contient un caractère nul (%00), refusé partout sur ce site."


class RejectNulBytesMiddleware:
    """A NUL byte in the path or the query string is a 400. No field may hold one (PostgreSQL refuses
    them in text: ``?commune=%00`` was a 500); refusing it here covers every filter and every route
    parameter at once. Form bodies are left to the forms, which say which field is wrong."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.GET.lists()
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in v for v in values) for key, values in query
        ):
            raise HostileInput(NUL_MESSAGE)
        return self.get_response(request)
