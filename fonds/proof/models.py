"""The campaign archives (issue 21, d): a job that writes one ZIP per request, for auditors.
The complete dossier PDFs themselves are ``documents.GeneratedDocument`` rows (``complete.py``)."""

from __future__ import annotations

from django.db import models

from fonds import clock
from fonds.accounts.fields import user_fk
from fonds.ui.progress import ProgressJob


class CampaignArchive(ProgressJob):
    """One ZIP of a campaign: each dossier's complete PDF (auditor's version), the decision exports
    (CSV, SCDL), the audit trail export with its anchors and the standalone verifier."""

    campaign = models.ForeignKey(
        "referentiel.Campaign", verbose_name="campagne", on_delete=models.PROTECT, related_name="+"
    )
    created_by = user_fk("demandée par")
    created_at = models.DateTimeField("demandée le", default=clock.now)
    total = models.PositiveIntegerField("dossiers à archiver", default=0)
    done = models.PositiveIntegerField("dossiers archivés", default=0)
    file = models.FileField("archive", upload_to="archives/%Y/%m/", blank=True)
    sha256 = models.CharField("empreinte SHA-256", max_length=64, blank=True)
    size = models.PositiveBigIntegerField("taille (octets)", default=0)
    entries = models.PositiveIntegerField("fichiers dans l'archive", default=0)

    class Meta:
        verbose_name = "archive de campagne"
        verbose_name_plural = "archives de campagne"
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"Archive {self.pk} de {self.campaign}"
