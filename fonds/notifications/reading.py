"""Reading one's notifications: the list, the unread count of the header, marking as read.

Only the recipient reads or marks their notifications (another person's is simply not found).
"""

from __future__ import annotations

from fonds import clock

from .models import Notification


def listing(user):
    """The person's notifications, newest first (no join: a notification carries its title and link)."""
    return (
        Notification.objects.filter(recipient=user)
        .only("pk", "kind", "title", "body", "link", "created_at", "read_at", "dossier_id")
        .order_by("-created_at", "-pk")
    )


def unread_count(user) -> int:
    """One indexed COUNT (the header of every page)."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def mark_read(user, pk: int) -> bool:
    unread = Notification.objects.filter(pk=pk, recipient=user, read_at__isnull=True)
    return bool(unread.update(read_at=clock.now()))


def mark_all_read(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=clock.now())


def open_link(user, pk: int) -> str | None:
    """The notification's link (None: not the person's), marked read."""
    link = Notification.objects.filter(pk=pk, recipient=user).values_list("link", flat=True).first()
    if link is not None:
        mark_read(user, pk)
    return link
