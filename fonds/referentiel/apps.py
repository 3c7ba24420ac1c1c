from django.apps import AppConfig


class ReferentielConfig(AppConfig):
    name = "fonds.referentiel"
    label = "referentiel"
    verbose_name = "Référentiel"
