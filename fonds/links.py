"""How one thing names another. ``link`` is the ForeignKey every app writes, PROTECT and without a
reverse accessor unless asked (a record named by another, or by the audit trail, stays); ``under``
is how a URL conf names a group of pages that share a prefix, written once."""

from django.db import models
from django.urls import include, path


def link(to, verbose_name=None, *, null=False, on_delete=models.PROTECT, related_name="+"):
    """A ForeignKey to ``to``; ``null=True`` (blank too) where the link is optional."""
    return models.ForeignKey(
        to, verbose_name=verbose_name, null=null, blank=null, on_delete=on_delete, related_name=related_name
    )


def under(prefix: str, *routes):
    """``routes`` below ``prefix`` (``"dossiers/<int:pk>/"``): the same paths and URL names as if
    each route repeated the prefix (Django's ``include`` of a list: no namespace of its own)."""
    return path(prefix, include(list(routes)))
