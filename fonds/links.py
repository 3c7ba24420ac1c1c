"""How a model names another record: ``link`` is the ForeignKey every app writes, PROTECT and
without a reverse accessor unless asked (a record named by another, or by the audit trail, stays)."""

from django.db import models


def link(to, verbose_name=None, *, null=False, on_delete=models.PROTECT, related_name="+"):
    """A ForeignKey to ``to``; ``null=True`` (blank too) where the link is optional."""
    return models.ForeignKey(
        to, verbose_name=verbose_name, null=null, blank=null, on_delete=on_delete, related_name=related_name
    )
