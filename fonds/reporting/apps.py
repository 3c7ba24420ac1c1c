from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "fonds.reporting"
    label = "reporting"
    verbose_name = "Contrôle et exports"
