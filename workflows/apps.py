from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = "Processus (viewflow)"

    def ready(self):
        # models are not loaded before ready(): these imports cannot sit at the top
        from fonds.dossiers.models import Dossier  # noqa: PLC0415 — app registry not ready before
        from fonds.dossiers.signals import dossier_transitioned  # noqa: PLC0415 — idem
        from fonds.ui import worklist  # noqa: PLC0415 — idem

        from . import handlers, queues  # noqa: PLC0415 — idem

        dossier_transitioned.connect(
            handlers.on_dossier_transitioned, sender=Dossier, dispatch_uid="workflows.advance_process"
        )
        # the pages read the task lists through fonds.ui.worklist (fonds never imports workflows)
        worklist.register(queues)
