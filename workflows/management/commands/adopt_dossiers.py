"""Give a process to every dossier waiting in a stage without one (fixtures, imports, old data)."""

from django.core.management.base import BaseCommand
from django.db import transaction

from fonds.dossiers.models import Dossier
from workflows.flows import DossierFlow
from workflows.process import align


class Command(BaseCommand):
    help = "Crée le processus des dossiers déposés qui n'en ont pas (données importées ou de démonstration)."

    def handle(self, *args, **options):
        waiting = [stage.waits_in for stage in DossierFlow.stages()]
        count = 0
        for pk in (
            Dossier.objects.filter(status__in=waiting, process__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        ):
            with transaction.atomic():
                dossier = Dossier.objects.select_for_update().get(pk=pk)
                if dossier.status in waiting and not hasattr(dossier, "process"):
                    align(dossier)
                    count += 1
        self.stdout.write(f"{count} dossier(s) rattaché(s) à un processus.")
