"""Contrôle et exports — the decision export jobs (XLSX/ODS built by a Celery task)."""

from django.db import models

from fonds import clock
from fonds.accounts.fields import user_fk
from fonds.links import link


class ExportJob(models.Model):
    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX (Excel)"
        ODS = "ods", "ODS (LibreOffice, OpenDocument)"
        SCDL = "scdl", "Données ouvertes SCDL « subventions » 2.1.1 (CSV)"

    class State(models.TextChoices):
        PENDING = "pending", "En attente"
        RUNNING = "running", "En cours"
        DONE = "done", "Terminé"
        FAILED = "failed", "Échec"

    user = user_fk("demandé par")
    format = models.CharField("format", max_length=5, choices=Format.choices)
    semicolon = models.BooleanField("séparateur point-virgule", default=False)
    campaign = link("referentiel.Campaign", "campagne", null=True)
    saved_filter = link("instruction.SavedFilter", "filtre enregistré", null=True, on_delete=models.SET_NULL)
    querystring = models.CharField("filtres (figés à la demande)", max_length=2000, blank=True)
    filter_owner = user_fk(null=True)
    state = models.CharField("état", max_length=8, choices=State.choices, default=State.PENDING)
    rows_total = models.PositiveIntegerField("dossiers à exporter", default=0)
    rows_done = models.PositiveIntegerField("dossiers exportés", default=0)
    file = models.FileField("fichier", upload_to="exports/%Y/%m/", blank=True)
    size = models.PositiveBigIntegerField("taille (octets)", default=0)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    error = models.TextField("erreur", blank=True)
    created_at = models.DateTimeField("demandé le", default=clock.now)
    finished_at = models.DateTimeField("terminé le", null=True, blank=True)

    class Meta:
        verbose_name = "export de décisions"
        verbose_name_plural = "exports de décisions"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Export {self.get_format_display()} n° {self.pk}"

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, int(self.rows_done * 100 / self.rows_total))

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)
