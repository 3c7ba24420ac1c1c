from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "fonds.payments"
    label = "payments"
    verbose_name = "Paiements"
