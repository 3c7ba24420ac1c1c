"""The viewflow process of one dossier: a concrete subclass of viewflow's ``Process`` with a
one-to-one, ``PROTECT``ed link to the dossier (drafts have none; the task history is part of the
file's trail). The per-queue permissions below are written on the human tasks but granted to
nobody, so viewflow's own screens never show a task to everyone: who sees which task is decided
by ``workflows.queues`` only.
"""

from django.db import models
from viewflow.workflow.models import Process


class DossierProcess(Process):
    dossier = models.OneToOneField(
        "dossiers.Dossier",
        verbose_name="dossier",
        on_delete=models.PROTECT,
        related_name="process",
    )

    class Meta:
        verbose_name = "processus d'un dossier"
        verbose_name_plural = "processus des dossiers"
        # viewflow's Flow adds "manage" when the flow class is imported; declared here so the
        # model's options (and migrations) do not depend on import order
        default_permissions = ("add", "change", "delete", "view", "manage")
        permissions = [
            ("queue_instructeur", "File des instructeurs"),
            ("queue_porteur", "À faire par la commune (porteur)"),
            ("queue_comite", "File du comité de sélection"),
            ("queue_finance", "File de la gestion financière"),
            ("queue_admin", "File de l'administration du fonds"),
        ]

    def __str__(self):
        return f"Processus du dossier {self.dossier.reference}"
