from django.apps import AppConfig


class ProofConfig(AppConfig):
    name = "fonds.proof"
    label = "proof"
    verbose_name = "Preuves : dossier complet et archive de campagne"
