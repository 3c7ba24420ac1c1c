"""The page that handles a transition needing more than a confirmation, for the pages that list
actions (the dossier page of fonds/web, "Mes dossiers" of fonds/depot) instead of the generic form.

``action_url(dossier_pk, "accept_agreement")`` → ``/suivi/<pk>/convention/``; None for the
transitions the generic confirmation form handles.
"""

from __future__ import annotations

from django.urls import reverse

ACTION_PAGES = {
    "resubmit": "suivi:corrections",
    "withdraw": "suivi:withdraw",
    "renounce": "suivi:renounce",
    "accept_agreement": "suivi:convention",
    "submit_report": "suivi:report",
    "schedule": "comite:schedule",
}


def action_url(dossier_pk: int, name: str) -> str | None:
    page = ACTION_PAGES.get(name)
    return reverse(page, args=[dossier_pk]) if page else None
