from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "fonds.accounts"
    label = "accounts"
    verbose_name = "Comptes et rôles"

    def ready(self):
        from . import signals  # noqa: F401, PLC0415 — connects receivers once the models are loaded
