from django.apps import AppConfig


class UiConfig(AppConfig):
    """The screens' toolkit every stage's pages use: the role gate of each back office, DSFR
    widgets and fields, pagination, the one submit helper and the ``fjj`` template library."""

    name = "fonds.ui"
    label = "ui"
    verbose_name = "Écrans (outils communs)"
