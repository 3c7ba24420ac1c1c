from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "fonds.ops"
    label = "ops"
    verbose_name = "Exploitation"

    def ready(self):
        from .logging import connect_celery_signals

        connect_celery_signals()
