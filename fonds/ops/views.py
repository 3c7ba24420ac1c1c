from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .health import report


@never_cache
@require_GET
def health(request):
    """``GET /sante/``: 200 when every check passes, 503 otherwise (for load balancers and probes).

    Public on purpose (a probe has no session) and therefore shows no personal or business data:
    only booleans, counts, durations and the head sequence number.
    """
    data = report()
    return JsonResponse(data, status=200 if data["ok"] else 503, json_dumps_params={"ensure_ascii": False})
