"""What the dossier's conversation adds to ``dossiers.Message``: its attachments (checked and
hashed like the dossier's documents) and each reader's read mark (read/unread per person)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from fonds import clock


class Attachment(models.Model):
    message = models.ForeignKey("dossiers.Message", on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField("fichier", upload_to="messages/%Y/%m/")
    original_name = models.CharField("nom d'origine", max_length=200)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        verbose_name = "pièce jointe d'un message"
        ordering = ["message_id", "pk"]


class ReadMark(models.Model):
    """Up to which message (its id) ``user`` has read the conversation of ``dossier``."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.CASCADE, related_name="+")
    last_read = models.PositiveBigIntegerField("dernier message lu", default=0)
    read_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = "lecture d'une conversation"
        constraints = [models.UniqueConstraint(fields=["user", "dossier"], name="conversation_read_once")]
