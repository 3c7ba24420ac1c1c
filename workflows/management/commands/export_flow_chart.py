"""Write the dossier flow chart to docs/ (flow.svg and flow.md) from workflows/flows.py."""

from pathlib import Path

from django.core.management.base import BaseCommand

from workflows import chart


class Command(BaseCommand):
    help = "Exporte le diagramme du processus des dossiers dans docs/ (flow.svg, flow.md)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output-dir", type=Path, default=None, help="Dossier de sortie (par défaut : docs/)."
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="Ne rien écrire ; échouer si les fichiers ne sont pas à jour.",
        )

    def handle(self, *args, output_dir=None, check=False, **options):
        if check:
            stale = [
                path
                for path, content in chart.outputs().items()
                if not path.exists() or path.read_text(encoding="utf-8") != content
            ]
            if stale:
                names = ", ".join(str(path) for path in stale)
                raise SystemExit(
                    f"Diagramme du processus périmé ({names}) : run python manage.py export_flow_chart"
                )
            self.stdout.write("Diagramme du processus à jour.")
            return
        for path in chart.write(output_dir):
            self.stdout.write(f"Écrit : {path}")
