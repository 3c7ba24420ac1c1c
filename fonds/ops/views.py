from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .health import report


@never_cache
@require_GET
def health(request):
    """``GET /sante/``: 200 when every service check passes (``status`` ``ok``, or ``degraded``
    when a data invariant fails and needs a repair), 503 otherwise (for load balancers and probes).

    Public on purpose (a probe has no session) and therefore shows no personal data: only
    booleans, counts, durations, the head sequence number and, for a failed invariant, public
    dossier numbers (no names, no amounts).
    """
    data = report()
    return JsonResponse(data, status=200 if data["ok"] else 503, json_dumps_params={"ensure_ascii": False})
