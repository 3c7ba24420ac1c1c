from django.apps import AppConfig


class SuiviConfig(AppConfig):
    name = "fonds.suivi"
    label = "suivi"
    verbose_name = "Suivi des dossiers (porteurs)"
