"""The JSON a progress bar polls (``progress.js``): one shape for every background job that has
``status``, ``total``, ``done``, ``percent`` and ``is_over`` (bulk actions, what-if replays)."""

from django.http import JsonResponse


def progress_response(job, **extra) -> JsonResponse:
    return JsonResponse(
        {
            "id": job.pk,
            "status": job.status,
            "status_label": job.get_status_display(),
            "total": job.total,
            "done": job.done,
            "percent": job.percent,
            "over": job.is_over,
            **extra,
        }
    )
