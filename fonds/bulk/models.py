"""Bulk actions: one ``BulkJob`` per confirmed action, one ``BulkFailure`` per dossier refused
(with the French reason). The selection is frozen at confirmation (``dossier_ids``); ``done``
advances in the chunk's own transaction, so a retried task resumes after the last committed
chunk and never processes a dossier twice."""

from __future__ import annotations

from django.db import models

from fonds.accounts.fields import user_fk
from fonds.ui.progress import ProgressJob


class BulkJob(ProgressJob):
    class Action(models.TextChoices):
        ASSIGN = "assign", "Attribuer à un instructeur"
        START_INSTRUCTION = "start_instruction", "Prendre en instruction"
        SCHEDULE = "schedule", "Inscrire à l'ordre du jour du comité"
        REQUEST_CORRECTIONS = "request_corrections", "Demander les mêmes corrections"
        MESSAGE = "message", "Envoyer le même message aux communes"
        ADD_LABEL = "add_label", "Ajouter une étiquette"
        REMOVE_LABEL = "remove_label", "Retirer une étiquette"

    created_by = user_fk("lancée par", related_name="bulk_jobs")
    action = models.CharField("action", max_length=30, choices=Action.choices)
    querystring = models.TextField("filtres de la sélection", blank=True)
    params = models.JSONField("paramètres", default=dict, blank=True)
    dossier_ids = models.JSONField(
        "dossiers sélectionnés (figés à la confirmation)", default=list, blank=True
    )
    total = models.PositiveIntegerField("dossiers sélectionnés", default=0)
    done = models.PositiveIntegerField("dossiers traités", default=0)
    succeeded = models.PositiveIntegerField("réussis", default=0)
    failed = models.PositiveIntegerField("refusés", default=0)
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    started_at = models.DateTimeField("commencée le", null=True, blank=True)

    class Meta:
        verbose_name = "action groupée"
        verbose_name_plural = "actions groupées"
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.get_action_display()} — {self.total} dossier(s)"


class BulkFailure(models.Model):
    job = models.ForeignKey(BulkJob, on_delete=models.CASCADE, related_name="failures")
    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField("type de refus", max_length=20, blank=True)
    reason = models.TextField("motif")

    class Meta:
        verbose_name = "dossier refusé"
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["job", "dossier"], name="bulk_failure_once_per_job")]
