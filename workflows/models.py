"""The viewflow process of one dossier.

viewflow's ``Process`` knows nothing about our domain, and a proxy model cannot add a column, so
``DossierProcess`` is a concrete (multi-table) subclass with a one-to-one link to the dossier:

* one dossier has at most one process (drafts have none: the process starts on ``submit``);
* ``dossier.process`` / ``Task.objects.filter(process__dossierprocess__dossier=…)`` are plain
  indexed joins, which is what ``workflows.queues`` uses to build the queues;
* the dossier cannot be deleted while its process exists (``PROTECT``): the task history is
  part of the file's trail.

The per-queue permissions below are written on each human task (``task.owner_permission``).
They are never granted to anybody: viewflow's own inbox/queue screens therefore never show a
task to "everyone" (viewflow's default for a task without permission). The authoritative
"who sees which task" is ``workflows.queues``, which applies the roles of
``fonds.accounts.roles``, the porteur's commune and the recusal rule.
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
