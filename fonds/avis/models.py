"""An avis request: one question to one expert about one dossier, with a deadline, answered once.

Rows are written by ``fonds.avis.services`` only (one transaction, one audit event each).
"""

from __future__ import annotations

from django.core.validators import MaxLengthValidator
from django.db import models

from fonds import clock
from fonds.accounts.fields import user_fk


class AvisRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "En attente"
        ANSWERED = "answered", "Rendu"
        EXPIRED = "expired", "Expiré (échéance dépassée)"
        CANCELLED = "cancelled", "Annulé"

    class Visibility(models.TextChoices):
        CONFIDENTIAL = "confidential", "Confidentiel (le fonds seulement)"
        COMMITTEE = "committee", "Partagé avec le comité"

    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.PROTECT, related_name="avis_requests")
    expert = user_fk("expert", related_name="avis_requests")
    requested_by = user_fk("demandé par")
    question = models.TextField("question", validators=[MaxLengthValidator(5000)])
    deadline = models.DateField("date limite de réponse")
    visibility = models.CharField(
        "diffusion", max_length=12, choices=Visibility.choices, default=Visibility.CONFIDENTIAL
    )
    status = models.CharField("état", max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField("demandé le", default=clock.now)
    answer = models.TextField("avis", blank=True, validators=[MaxLengthValidator(20000)])
    answered_at = models.DateTimeField("rendu le", null=True, blank=True)
    attachment = models.FileField("pièce jointe", upload_to="avis/%Y/%m/", blank=True)
    attachment_name = models.CharField("nom d'origine", max_length=200, blank=True)
    attachment_type = models.CharField(max_length=60, blank=True)
    attachment_size = models.PositiveIntegerField(null=True, blank=True)
    attachment_sha256 = models.CharField(max_length=64, blank=True)
    reminded_on = models.DateField("dernière relance", null=True, blank=True)
    closed_at = models.DateTimeField("clos le (annulé ou expiré)", null=True, blank=True)

    class Meta:
        verbose_name = "demande d'avis"
        verbose_name_plural = "demandes d'avis"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["expert", "status"], name="avis_expert_status"),
            models.Index(fields=["dossier", "status"], name="avis_dossier_status"),
            models.Index(fields=["status", "deadline"], name="avis_status_deadline"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["dossier", "expert"],
                condition=models.Q(status="pending"),
                name="avis_one_pending_per_expert_and_dossier",
            )
        ]

    def __str__(self):
        return f"Avis de {self.expert_id} sur {self.dossier_id} ({self.status})"

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING

    @property
    def shared_with_committee(self) -> bool:
        return self.visibility == self.Visibility.COMMITTEE


#: the request's states by a module-level name (the API schema's enum, settings.SPECTACULAR_SETTINGS)
AvisStatus = AvisRequest.Status
