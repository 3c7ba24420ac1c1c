from django.apps import AppConfig


class DossiersConfig(AppConfig):
    name = "fonds.dossiers"
    label = "dossiers"
    verbose_name = "Dossiers"
