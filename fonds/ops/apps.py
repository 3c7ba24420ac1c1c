from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "fonds.ops"
    label = "ops"
    verbose_name = "Exploitation"
