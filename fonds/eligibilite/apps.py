from django.apps import AppConfig


class EligibiliteConfig(AppConfig):
    name = "fonds.eligibilite"
    label = "eligibilite"
    verbose_name = "Éligibilité"
