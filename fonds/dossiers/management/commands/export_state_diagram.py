from django.core.management.base import BaseCommand

from fonds.dossiers.diagram import DOC_PATH, render


class Command(BaseCommand):
    help = "Régénère docs/states.md (diagramme d'états du dossier) à partir des transitions du modèle."

    def handle(self, *args, **options):
        DOC_PATH.parent.mkdir(parents=True, exist_ok=True)
        DOC_PATH.write_text(render(), encoding="utf-8")
        self.stdout.write(f"Écrit : {DOC_PATH}")
