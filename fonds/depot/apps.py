from django.apps import AppConfig


class DepotConfig(AppConfig):
    name = "fonds.depot"
    label = "depot"
    verbose_name = "Dépôt des dossiers (porteurs)"

    def ready(self):
        from . import hooks  # noqa: PLC0415 — hooks import models: only once the apps are loaded

        hooks.register()
