from django.apps import AppConfig


class ComiteConfig(AppConfig):
    name = "fonds.comite"
    label = "comite"
    verbose_name = "Comité d'attribution"
