"""Celery tasks of the front office after submission (idempotent: safe to retry)."""

import datetime as dt

from celery import shared_task
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from fonds.accounts.models import User
from fonds.accounts.roles import Role
from fonds.audit.models import AuditEvent
from fonds.dossiers.models import Dossier
from fonds.dossiers.states import Status
from fonds.formats import euros
from fonds.notifications.emails import send_each

from .convention import ensure_convention


def _send_to_porteurs(dossier, key: str, subject: str, body: str, audit_payload: dict) -> int:
    """Email the commune's active porteurs (else the dossier's author), once each (notice key
    ``<key>-u<user pk>``); returns the number sent now."""
    recipients = list(
        User.objects.filter(commune_id=dossier.commune_id, is_active=True, groups__name=Role.PORTEUR)
        .order_by("pk")
        .distinct()
    )
    if not recipients and dossier.created_by.is_active:
        recipients = [dossier.created_by]
    return send_each(
        recipients,
        lambda user: f"{key}-u{user.pk}",
        subject=subject,
        body=body,
        dossier=dossier,
        audit_payload=audit_payload,
    )


@shared_task(name="fonds.suivi.tasks.generate_convention")
def generate_convention(dossier_pk: int) -> str | None:
    """Generate the convention of an approved dossier (nothing to do if it exists or is moot).

    Not retried automatically: the convention page generates it on demand when it is missing.
    """

    dossier = (
        Dossier.objects.select_related("campaign", "commune", "jumelage__partner")
        .filter(pk=dossier_pk)
        .first()
    )
    if dossier is None or dossier.status != Status.APPROVED or dossier.approved_amount is None:
        return None
    return ensure_convention(dossier).sha256


#: kind → (subject, template) of the deadline emails (fonds.suivi.reminders)
DEADLINE_EMAILS = {
    "corrections": (
        "Rappel : corrections attendues avant le {due} — dossier {reference}",
        "suivi/emails/correction_reminder.txt",
    ),
    "agreement": (
        "Rappel : convention à accepter avant le {due} — dossier {reference}",
        "suivi/emails/agreement_reminder.txt",
    ),
    "report": (
        "Rappel : rapport final à déposer avant le {due} — dossier {reference}",
        "suivi/emails/report_reminder.txt",
    ),
    "report_overdue": ("Rapport final en retard — dossier {reference}", "suivi/emails/report_overdue.txt"),
}
DEADLINE_PAGES = {
    "corrections": "suivi:corrections",
    "agreement": "suivi:convention",
    "report": "suivi:report",
    "report_overdue": "suivi:report",
}


@shared_task(
    name="fonds.suivi.tasks.send_deadline_email", autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
def send_deadline_email(kind: str, dossier_pk: int, key: str, deadline: str) -> int:
    """Email a deadline reminder (or the overdue notice) to the commune's porteurs, once each.

    Queued on commit by ``fonds.suivi.reminders`` once the reminder is recorded and audited;
    ``key`` + the recipient make the ``EmailNotice`` key, so a retried task sends nothing twice.
    Returns the number of emails sent now.
    """

    dossier = Dossier.objects.select_related("commune", "campaign", "created_by").get(pk=dossier_pk)
    due = dt.datetime.fromisoformat(deadline) if "T" in deadline else dt.date.fromisoformat(deadline)
    due_text = (
        timezone.localtime(due).strftime("%d/%m/%Y à %H:%M")
        if isinstance(due, dt.datetime)
        else due.strftime("%d/%m/%Y")
    )
    subject_template, template = DEADLINE_EMAILS[kind]
    context = {
        "dossier": dossier,
        "reference": dossier.reference,
        "title": dossier.title,
        "commune_name": dossier.commune.name,
        "due": due_text,
        "url": settings.FJJ_SITE_URL.rstrip("/") + reverse(DEADLINE_PAGES[kind], args=[dossier.pk]),
        "fund_name": getattr(settings, "FJJ_FUND_NAME", "Fonds Jumelages Jeunesse"),
    }
    if kind == "corrections":
        request = dossier.correction_requests.filter(answered_at__isnull=True).order_by("-created_at").first()
        context["message"] = request.message if request else ""
    subject = subject_template.format(due=due_text, reference=dossier.reference)
    body = render_to_string(template, context)
    return _send_to_porteurs(dossier, key, subject, body, {"reminder": kind})


@shared_task(
    name="fonds.suivi.tasks.send_renunciation_ack",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def send_renunciation_ack(dossier_pk: int) -> int:
    """Acknowledge a renunciation to the commune's porteurs (the mayor), once each: queued through
    the outbox by the ``renounce`` after-hook. A dossier is renounced at most once (a final
    status), so the dossier and the recipient make the notice key: a retried task sends nothing
    twice. Returns the number of emails sent now."""

    dossier = Dossier.objects.select_related("commune", "campaign", "created_by").get(pk=dossier_pk)
    event = (
        AuditEvent.objects.filter(
            object_type="dossiers.dossier", object_id=str(dossier.pk), action="renounce"
        )
        .order_by("-seq")
        .first()
    )
    payload = event.data["payload"] if event is not None else {}
    context = {
        "reference": dossier.reference,
        "title": dossier.title,
        "commune_name": dossier.commune.name,
        "amount": euros(dossier.approved_amount) if dossier.approved_amount is not None else "",
        "motivation": payload.get("motivation", ""),
        "renounced_at": event.created_at if event is not None else None,
        "url": settings.FJJ_SITE_URL.rstrip("/") + reverse("suivi:dossier", args=[dossier.pk]),
        "fund_name": getattr(settings, "FJJ_FUND_NAME", "Fonds Jumelages Jeunesse"),
    }
    subject = f"Renonciation enregistrée — dossier {dossier.reference}"
    body = render_to_string("suivi/emails/renunciation_ack.txt", context)
    return _send_to_porteurs(
        dossier, f"renunciation-{dossier.pk}", subject, body, {"notice": "renunciation_ack"}
    )
