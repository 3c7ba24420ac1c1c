from django.apps import AppConfig


class SuiviConfig(AppConfig):
    name = "fonds.suivi"
    label = "suivi"
    verbose_name = "Suivi des dossiers (porteurs)"

    def ready(self):
        from . import hooks  # noqa: PLC0415 — hooks import models: only once the apps are loaded

        # accept_agreement / submit_report preparers, convention task after approve / promote
        hooks.register()
