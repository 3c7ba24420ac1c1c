from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "fonds.payments"
    label = "payments"
    verbose_name = "Paiements"

    def ready(self):
        from . import hooks  # noqa: PLC0415 — hooks import models: only once the apps are loaded

        # the advance order after accept_agreement; settle never before the project's end
        hooks.register()
