from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "fonds.documents"
    label = "documents"
    verbose_name = "Documents générés (PDF)"
