from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "fonds.privacy"
    label = "privacy"
    verbose_name = "Données personnelles (mineurs)"
