from django.apps import AppConfig


class PublicConfig(AppConfig):
    name = "fonds.public"
    label = "public"
    verbose_name = "Projets soutenus (pages publiques)"
