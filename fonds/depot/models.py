"""What the front office records beyond the dossier: the emails it sent (each sent once) and the
CSV imports of accounts to invite (accounts administration)."""

from django.db import models

from fonds import clock
from fonds.accounts.fields import user_fk
from fonds.ui.progress import ProgressJob, job_states


class EmailNotice(models.Model):
    """One email the fund must send at most once (e.g. the receipt of a submission).

    ``key`` is unique: a retried Celery task finds the notice it already sent. A task *claims* the
    notice (``claimed_at``) before sending, so two workers never send it both; a claim older than
    ``fonds.depot.notices.CLAIM_TIMEOUT`` (a worker died while sending) may be taken over, and so may
    a claim made by the same Celery task (``claimed_by``: its message, delivered again after its
    worker died).
    """

    key = models.CharField("clé d'unicité", max_length=100, unique=True)
    dossier = models.ForeignKey(
        "dossiers.Dossier", null=True, blank=True, on_delete=models.PROTECT, related_name="email_notices"
    )
    to = models.EmailField("destinataire")
    subject = models.CharField("objet", max_length=200)
    created_at = models.DateTimeField(default=clock.now)
    claimed_at = models.DateTimeField("envoi commencé le", null=True, blank=True)
    claimed_by = models.CharField("envoi commencé par la tâche", max_length=64, blank=True, default="")
    sent_at = models.DateTimeField("envoyé le", null=True, blank=True)

    class Meta:
        verbose_name = "courriel envoyé"
        verbose_name_plural = "courriels envoyés"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.key} → {self.to}"


class InvitationImport(ProgressJob):
    """A CSV file of mayors or agents to invite. Checked at upload (``checked``: nothing created),
    confirmed by an administrator (``queued``), then run by a Celery task in chunks: ``done``
    advances in each chunk's own transaction, so a retried task resumes after the last committed
    chunk and never invites a line twice. ``accepted`` holds the lines to invite, ``refused`` the
    refused lines with their French reasons (both rewritten when the task checks the file again)."""

    State = job_states(("CHECKED", "checked", "Contrôlé, à confirmer"))

    kind = models.CharField("type de comptes", max_length=10)
    text = models.TextField("fichier lu (UTF-8)")
    created_by = user_fk("importé par", related_name="invitation_imports")
    created_at = models.DateTimeField("importé le", default=clock.now)
    status = models.CharField("état", max_length=10, choices=State.choices, default=State.CHECKED)
    lines = models.PositiveIntegerField("lignes lues", default=0)
    campaign_name = models.CharField("campagne du seuil de population", max_length=200, blank=True)
    max_population = models.PositiveIntegerField("seuil de population", null=True, blank=True)
    accepted = models.JSONField("lignes à inviter", default=list, blank=True)
    refused = models.JSONField("lignes refusées", default=list, blank=True)
    total = models.PositiveIntegerField("comptes à inviter", default=0)
    done = models.PositiveIntegerField("lignes traitées", default=0)
    invited = models.PositiveIntegerField("comptes invités", default=0)
    confirmed_at = models.DateTimeField("confirmé le", null=True, blank=True)

    class Meta:
        verbose_name = "import d'invitations"
        verbose_name_plural = "imports d'invitations"
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"Import {self.kind} n° {self.pk}"
