"""The notification emails: French, HTML and text, in the State's visual identity, sent once.

One notification → one email (``send_notification``, key ``notification-<pk>``); one person's
day of digest notifications → one email (``send_digest``, key ``digest-<user pk>-<day>``). Both
go through ``fonds.depot.notices.send_once`` (claimed, sent at most once, released on failure).
Links are absolute (``settings.FJJ_SITE_URL``); the texts carry what the notification carries:
reference, commune, project title, amounts, dates — never a participant's personal data.
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from fonds import clock
from fonds.depot.notices import send_once
from fonds.formats import long_date

from .models import Notification


def absolute(link: str) -> str:
    """The notification's link as an absolute URL of the site (email clients need one)."""
    if link.startswith(("http://", "https://")):
        return link
    return settings.FJJ_SITE_URL.rstrip("/") + "/" + link.lstrip("/")


def _base_context() -> dict:
    site = settings.FJJ_SITE_URL.rstrip("/")
    return {
        "fund_name": getattr(settings, "FJJ_FUND_NAME", "Fonds Jumelages Jeunesse"),
        "site_url": site,
        "preferences_url": site + reverse("notifications:preferences"),
        "centre_url": site + reverse("notifications:centre"),
    }


def _render(template: str, context: dict) -> tuple[str, str]:
    with translation.override("fr"):
        return (
            render_to_string(f"emails/{template}.txt", context),
            render_to_string(f"emails/{template}.html", context),
        )


def text_as_html(subject: str, text: str) -> str:
    """The HTML alternative of a stage's text email (receipt, decision letter, reminders,
    payments' notices): its paragraphs in the same State layout, links made clickable."""
    paragraphs = [part.strip() for part in text.split("\n\n") if part.strip()]
    with translation.override("fr"):
        return render_to_string(
            "emails/plain.html", {**_base_context(), "subject": subject, "paragraphs": paragraphs}
        )


def send_each(users, key, *, subject: str, body: str, **email) -> int:
    """``send_once`` to each user the same text and its HTML alternative (``key(user)``: the notice
    key); returns the number sent now."""
    html = text_as_html(subject, body)
    return sum(
        send_once(key(user), to=user.email, subject=subject, body=body, html=html, **email) for user in users
    )


def send_notification(notification: Notification) -> bool:
    """Email one notification to its recipient, once; mark it emailed. True if sent now."""
    context = {
        **_base_context(),
        "notification": notification,
        "url": absolute(notification.link),
        "lines": [line for line in notification.body.splitlines()],
    }
    text, html = _render("notification", context)
    sent = send_once(
        f"notification-{notification.pk}",
        to=notification.recipient.email,
        subject=notification.title,
        body=text,
        html=html,
        dossier=notification.dossier,
        audit_action=None,
    )
    if notification.emailed_at is None:
        unsent = Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True)
        unsent.update(emailed_at=clock.now())
    return sent


def digest_key(user_id: int, day) -> str:
    return f"digest-{user_id}-{day.isoformat()}"


def send_digest(user_id: int, email: str, day, items: list[dict]) -> bool:
    """The day's digest of one person (``items``: rows with title, body, link, created_at), once
    per person and day. True if sent now."""
    context = {
        **_base_context(),
        "day": long_date(day),
        "items": [{**item, "url": absolute(item["link"])} for item in items],
    }
    text, html = _render("digest", context)
    count = len(items)
    subject = f"Votre résumé du {long_date(day)} : {count} notification{'s' if count > 1 else ''}"
    return send_once(
        digest_key(user_id, day), to=email, subject=subject, body=text, html=html, audit_action=None
    )
