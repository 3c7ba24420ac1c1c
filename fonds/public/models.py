"""What a commune publishes about its project, beside the dossier: the public summary (written at
the convention step), the public paragraph of the final report (after the trip), and the fund's
hiding of both (with its motivation). Shown only once the convention is accepted (``rules.py``)."""

from __future__ import annotations

from django.core.validators import MaxLengthValidator
from django.db import models

from fonds import clock
from fonds.accounts.fields import user_fk

#: the longest public summary or paragraph (characters)
PUBLIC_TEXT_MAX = 1500


class Publication(models.Model):
    dossier = models.OneToOneField(
        "dossiers.Dossier",
        primary_key=True,
        on_delete=models.PROTECT,
        related_name="publication",
        verbose_name="dossier",
    )
    summary = models.TextField(
        "résumé public du projet", blank=True, validators=[MaxLengthValidator(PUBLIC_TEXT_MAX)]
    )
    report_paragraph = models.TextField(
        "paragraphe public du bilan", blank=True, validators=[MaxLengthValidator(PUBLIC_TEXT_MAX)]
    )
    updated_at = models.DateTimeField("modifié le", default=clock.now)
    updated_by = user_fk("modifié par", null=True)
    hidden = models.BooleanField("masqué par le fonds", default=False)
    hidden_motivation = models.TextField("motif du masquage", blank=True)
    hidden_at = models.DateTimeField("masqué le", null=True, blank=True)
    hidden_by = user_fk("masqué par", null=True)

    class Meta:
        verbose_name = "publication d'un projet"
        verbose_name_plural = "publications des projets"

    def __str__(self):
        return f"Publication du dossier {self.dossier_id}"
