"""A person's notifications (« Mes notifications ») and their choices per kind.

``Notification.key`` is unique: ``notify`` run twice for the same event (a retried task, a second
hook) makes nothing twice. ``delivery`` is the mode chosen when it was made (immediate, digest,
off, or ``task``: emailed by the stage's own task); ``emailed_at`` is set once its email left
(at once or in the day's digest). A notification carries the dossier's reference, commune,
project title, amounts and dates only: never a participant's personal data.
"""

from django.conf import settings
from django.db import models

from fonds import clock

from .kinds import ALL_MODES, KINDS, MODES

KIND_CHOICES = [(code, kind.label) for code, kind in KINDS.items()]


class Notification(models.Model):
    class Delivery(models.TextChoices):
        IMMEDIATE = "immediate", "Courriel immédiat"
        DIGEST = "digest", "Résumé quotidien"
        OFF = "off", "Sans courriel"
        TASK = "task", "Courriel du service concerné"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField("type", max_length=40, choices=KIND_CHOICES)
    dossier = models.ForeignKey(
        "dossiers.Dossier", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    title = models.CharField("titre", max_length=200)
    body = models.TextField("texte", blank=True)
    link = models.CharField("lien", max_length=300, blank=True)  # a path of the site
    key = models.CharField("clé d'idempotence", max_length=200, unique=True)
    delivery = models.CharField("envoi", max_length=10, choices=Delivery.choices)
    created_at = models.DateTimeField("créée le", default=clock.now)
    read_at = models.DateTimeField("lue le", null=True, blank=True)
    emailed_at = models.DateTimeField("envoyée par courriel le", null=True, blank=True)

    class Meta:
        verbose_name = "notification"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notif_recipient_recent"),
            models.Index(
                fields=["recipient"],
                name="notif_unread",
                condition=models.Q(read_at__isnull=True),
            ),
            models.Index(
                fields=["recipient", "created_at"],
                name="notif_digest_pending",
                condition=models.Q(delivery="digest", emailed_at__isnull=True),
            ),
        ]

    def __str__(self):
        return self.title


class Preference(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField("type", max_length=40, choices=KIND_CHOICES)
    mode = models.CharField("envoi", max_length=10, choices=[(m, MODES[m]) for m in ALL_MODES])
    updated_at = models.DateTimeField("modifiée le", default=clock.now)

    class Meta:
        verbose_name = "préférence de notification"
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notif_pref_one_per_kind")]
