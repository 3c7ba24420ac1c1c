from django.apps import AppConfig


class ComiteConfig(AppConfig):
    name = "fonds.comite"
    label = "comite"
    verbose_name = "Comité d'attribution"

    def ready(self):
        from . import envelope

        # envelope: campaign lock + limit on approve/promote, promotion proposals when money frees
        envelope.register()
