from django.apps import AppConfig


class SuiviConfig(AppConfig):
    name = "fonds.suivi"
    label = "suivi"
    verbose_name = "Suivi des dossiers (porteurs)"

    def ready(self):
        from . import hooks

        hooks.register(preparers=False)  # TEMP: preparers registered from tests/suivi until the final commit
