from django.apps import AppConfig


class BulkConfig(AppConfig):
    name = "fonds.bulk"
    label = "bulk"
    verbose_name = "Actions groupées"

    def ready(self):
        from . import hooks

        hooks.install()
