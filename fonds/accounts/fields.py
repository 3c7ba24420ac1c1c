"""The model field every app uses to name a person: the user who did, asked or answers for something."""

from django.conf import settings
from django.db import models


def user_fk(verbose_name=None, *, null=False, related_name="+"):
    """A ForeignKey to a user, PROTECT: a user named by a record (or by the audit trail) stays.

    No reverse accessor unless ``related_name`` names one (``None``: Django's default);
    ``null=True`` (blank too) while nobody has acted yet, or when the system did.
    """
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=verbose_name,
        null=null,
        blank=null,
        on_delete=models.PROTECT,
        related_name=related_name,
    )
