from django.apps import AppConfig


class BulkConfig(AppConfig):
    name = "fonds.bulk"
    label = "bulk"
    verbose_name = "Actions groupées"

    def ready(self):
        from . import hooks  # noqa: PLC0415 — hooks import models: only once the apps are loaded

        hooks.install()
