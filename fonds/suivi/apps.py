from django.apps import AppConfig


class SuiviConfig(AppConfig):
    name = "fonds.suivi"
    label = "suivi"
    verbose_name = "Suivi des dossiers (porteurs)"

    def ready(self):
        from . import hooks

        # accept_agreement / submit_report preparers, convention task after approve / promote
        hooks.register()
