from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = "Processus (viewflow)"

    def ready(self):
        from fonds.dossiers.models import Dossier
        from fonds.dossiers.signals import dossier_transitioned

        from . import handlers

        dossier_transitioned.connect(
            handlers.on_dossier_transitioned, sender=Dossier, dispatch_uid="workflows.advance_process"
        )
