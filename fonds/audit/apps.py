from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "fonds.audit"
    label = "audit"
    verbose_name = "Piste d'audit"
