"""Celery tasks of the avis: the emails (once per outbox message) and the daily reminders/expiry.

The emails never carry the dossier's content nor the question: a link to the page, where the
expert signs in with their second factor.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from fonds.depot.notices import send_once
from fonds.formats import long_date

from . import reminders
from .models import AvisRequest

RETRY = {"autoretry_for": (OSError,), "retry_backoff": True, "max_retries": 5}

SUBJECTS = {
    "requested": "Demande d'avis sur le dossier {reference}",
    "reminder": "Rappel : avis attendu sur le dossier {reference} avant le {deadline}",
    "cancelled": "Demande d'avis annulée : dossier {reference}",
    "expired": "Demande d'avis close (date limite passée) : dossier {reference}",
    "answered": "Avis rendu sur le dossier {reference}",
}


def avis_email(kind: str, avis: AvisRequest) -> tuple[str, str, str]:
    """``(to, subject, body)`` of the email ``kind`` about ``avis``."""
    site = settings.FJJ_SITE_URL.rstrip("/")
    to_requester = kind == "answered"
    recipient = avis.requested_by if to_requester else avis.expert
    link = site + (
        reverse("instruction:dossier", args=[avis.dossier_id]) + "#avis"
        if to_requester
        else reverse("avis:request", args=[avis.pk])
    )
    context = {
        "kind": kind,
        "avis": avis,
        "reference": avis.dossier.reference,
        "deadline": long_date(avis.deadline),
        "link": link,
        "sign_in": site + reverse("login"),
        "fund_name": settings.FJJ_FUND_NAME,
        "never_signed_in": avis.expert.last_login is None,
    }
    subject = SUBJECTS[kind].format(reference=avis.dossier.reference, deadline=context["deadline"])
    return recipient.email, subject, render_to_string("avis/emails/avis.txt", context)


@shared_task(name="fonds.avis.tasks.send_avis_email", bind=True, **RETRY)
def send_avis_email(self, kind: str, avis_id: int) -> bool:
    avis = AvisRequest.objects.select_related("dossier", "expert", "requested_by").filter(pk=avis_id).first()
    if avis is None or kind not in SUBJECTS:
        return False
    to, subject, body = avis_email(kind, avis)
    key = f"avis-{kind}-{self.request.id or avis_id}"
    return send_once(key, to=to, subject=subject, body=body, dossier=avis.dossier, audit_action=None)


@shared_task(name="fonds.avis.tasks.remind_and_expire", ignore_result=True)
def remind_and_expire() -> dict:
    """Daily (beat): remind the experts whose deadline is near; close the requests past it."""
    return reminders.run()
