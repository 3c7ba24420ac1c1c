"""``notify(kind, …)``: the one entry point of every notification, called in the change's transaction.

It resolves the recipients (a commune kind: the active porteurs of the dossier's commune; a staff
kind: ``users`` if given, else the people of the dossier's queue), makes one ``Notification`` per
recipient (idempotent on ``key``: a second call for the same event makes nothing), and queues the
email of those who want it at once (mandatory notices always) through the transactional outbox.
The email task sends each exactly once (``fonds.depot.notices.send_once``). Digest notifications
wait for the daily digest (``fonds.notifications.digest``).
"""

from __future__ import annotations

import uuid

from django.db import transaction
from django.urls import reverse

from fonds import clock
from fonds.accounts.models import User
from fonds.accounts.roles import Role
from fonds.ops import outbox
from fonds.ui import worklist

from . import kinds as registry
from .models import Notification
from .preferences import modes_for


def dossier_line(dossier) -> str:
    """The dossier as the notifications name it: reference, commune, project title (no one's
    personal data)."""
    return f"Dossier {dossier.reference} — {dossier.commune.name} — « {dossier.title} »"


def commune_porteurs(dossier) -> list:
    """The active porteurs of the dossier's commune (else its author, if still active)."""
    users = list(
        User.objects.filter(commune_id=dossier.commune_id, is_active=True, groups__name=Role.PORTEUR)
        .distinct()
        .order_by("pk")
    )
    if not users and dossier.created_by_id:
        author = User.objects.filter(pk=dossier.created_by_id, is_active=True).first()
        users = [author] if author else []
    return users


def recipients(kind: registry.Kind, dossier, users) -> list:
    """Who receives ``kind`` about ``dossier``: ``users`` when given, else its audience."""
    if users is not None:
        return [user for user in users if user.is_active]
    if dossier is None:
        return []
    if kind.audience == registry.COMMUNE:
        return commune_porteurs(dossier)
    return worklist.queue_people(dossier)[1]


def default_link(kind: registry.Kind, dossier) -> str:
    """The page of the dossier the recipient acts on (the commune's, or the dossier's page every
    role of the fund may open; the instructors' notices name their instruction page)."""
    if dossier is None:
        return reverse("notifications:centre")
    if kind.audience == registry.COMMUNE:
        return reverse("suivi:dossier", args=[dossier.pk])
    return reverse("dossier-detail", args=[dossier.pk])


def _delivery(kind: registry.Kind, mode: str) -> str:
    if kind.email_by:
        return Notification.Delivery.TASK
    return mode


def notify(kind: str, *, dossier=None, users=None, context: dict | None = None, key: str | None = None):
    """Notify ``kind`` about ``dossier`` (or to ``users``); returns the notifications made now.

    ``context``: ``title`` (default: the kind's subject), ``body`` (a few French lines: the
    dossier's reference, commune, title, amounts, dates, a message — never a participant's
    personal data) and ``link`` (a path; default: the dossier's page). ``key`` names the event:
    the same key never notifies the same person twice."""
    spec = registry.get(kind)
    context = context or {}
    people = recipients(spec, dossier, users)
    if not people:
        return []
    reference = dossier.reference if dossier is not None else ""
    title = (context.get("title") or spec.subject.format(reference=reference))[:200]
    link = context.get("link") or default_link(spec, dossier)
    event = key or uuid.uuid4().hex
    keys = {user.pk: f"{kind}:{event}:u{user.pk}"[:200] for user in people}
    with transaction.atomic():
        done = set(Notification.objects.filter(key__in=keys.values()).values_list("key", flat=True))
        fresh = [user for user in people if keys[user.pk] not in done]
        if not fresh:
            return []
        modes = modes_for(fresh, spec)
        now = clock.now()
        Notification.objects.bulk_create(
            [
                Notification(
                    recipient=user,
                    kind=kind,
                    dossier=dossier,
                    title=title,
                    body=context.get("body", ""),
                    link=link,
                    key=keys[user.pk],
                    delivery=_delivery(spec, modes[user.pk]),
                    created_at=now,
                )
                for user in fresh
            ],
            ignore_conflicts=True,
        )
        made = list(Notification.objects.filter(key__in=[keys[user.pk] for user in fresh]).order_by("pk"))
        immediate = [n.pk for n in made if n.delivery == Notification.Delivery.IMMEDIATE]
        if immediate:
            outbox.enqueue("fonds.notifications.tasks.send_notification_emails", immediate)
    return made
