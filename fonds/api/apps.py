from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "fonds.api"
    label = "api"
    verbose_name = "API"
