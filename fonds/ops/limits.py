"""Refuse oversized request bodies before anything reads them (413, French message).

The limit (``FJJ_MAX_REQUEST_MB``, 60 MB by default) sits above the largest legitimate request —
the documents step with several files of at most ``uploads.max_file_mb`` each — and far below what
would let one client fill the disk or the memory; the reverse proxy should enforce the same.
"""
from django.conf import settings
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
            message = f"Requête trop volumineuse : {length // (1024 * 1024)} Mo pour {limit // (1024 * 1024)} Mo au plus."
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message, "code": "request_too_large"}, status=413)
            return HttpResponse(f"<!doctype html><html lang=\"fr\"><title>Requête trop volumineuse</title><h1>Requête trop volumineuse</h1><p>{message}</p></html>", status=413)
        return self.get_response(request)
