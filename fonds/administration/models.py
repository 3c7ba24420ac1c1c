"""What the administration screens store besides campaigns and rule versions: the what-if jobs
(a draft rule version replayed on a campaign, result kept for the page) and the variable texts of
a campaign's documents (signatory, legal mentions, the fund's address)."""

from __future__ import annotations

from django.db import models

from fonds import clock
from fonds.accounts.fields import user_fk
from fonds.ui.progress import ProgressJob


class WhatIfJob(ProgressJob):
    """A replay of draft rule parameters on the dossiers of a campaign; changes nothing else."""

    campaign = models.ForeignKey(
        "referentiel.Campaign", verbose_name="campagne rejouée", on_delete=models.CASCADE, related_name="+"
    )
    base_version = models.PositiveIntegerField("version comparée")
    params = models.JSONField("paramètres du brouillon")
    created_by = user_fk("lancée par", related_name="whatif_jobs")
    created_at = models.DateTimeField("lancée le", default=clock.now)
    total = models.PositiveIntegerField("dossiers à rejouer", default=0)
    done = models.PositiveIntegerField("dossiers rejoués", default=0)
    result = models.JSONField("résultat", default=dict, blank=True)

    class Meta:
        verbose_name = "simulation de règles"
        ordering = ["-created_at", "-pk"]


class DocumentTexts(models.Model):
    """The variable parts of a campaign's documents (receipt, decision letters, convention,
    minutes); a campaign without a row uses ``fonds.administration.texts.DEFAULTS``."""

    campaign = models.OneToOneField(
        "referentiel.Campaign", on_delete=models.PROTECT, related_name="document_texts"
    )
    authority = models.CharField("autorité de gestion", max_length=200)
    fund_address = models.TextField("adresse du fonds", max_length=500)
    signatory_name = models.CharField("nom du signataire", max_length=200)
    signatory_title = models.CharField("qualité du signataire", max_length=200)
    legal_mentions = models.TextField("mentions légales", max_length=3000)
    updated_at = models.DateTimeField("modifié le", default=clock.now)

    class Meta:
        verbose_name = "textes des documents"
        verbose_name_plural = "textes des documents"
