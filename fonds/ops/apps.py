from django.apps import AppConfig

from .logging import connect_celery_signals


class OpsConfig(AppConfig):
    name = "fonds.ops"
    label = "ops"
    verbose_name = "Exploitation"

    def ready(self):
        connect_celery_signals()
