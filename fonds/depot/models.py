"""What the front office records beyond the dossier: the emails it sent (each sent once)."""

from django.db import models

from fonds import clock


class EmailNotice(models.Model):
    """One email the fund must send at most once (e.g. the receipt of a submission).

    ``key`` is unique: a retried Celery task finds the notice it already sent. A task *claims* the
    notice (``claimed_at``) before sending, so two workers never send it both; a claim older than
    ``fonds.depot.notices.CLAIM_TIMEOUT`` (a worker died while sending) may be taken over.
    """

    key = models.CharField("clé d'unicité", max_length=100, unique=True)
    dossier = models.ForeignKey(
        "dossiers.Dossier", null=True, blank=True, on_delete=models.PROTECT, related_name="email_notices"
    )
    to = models.EmailField("destinataire")
    subject = models.CharField("objet", max_length=200)
    created_at = models.DateTimeField(default=clock.now)
    claimed_at = models.DateTimeField("envoi commencé le", null=True, blank=True)
    sent_at = models.DateTimeField("envoyé le", null=True, blank=True)

    class Meta:
        verbose_name = "courriel envoyé"
        verbose_name_plural = "courriels envoyés"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.key} → {self.to}"
