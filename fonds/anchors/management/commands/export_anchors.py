"""``python manage.py export_anchors FILE``: the anchors (tokens and TSA certificates) as JSON, to
verify offline with ``scripts/verify_audit_export.py TRAIL.jsonl --anchors FILE``."""

from django.core.management.base import BaseCommand

from fonds.anchors.export import write_anchors


class Command(BaseCommand):
    help = "Exporte les ancrages horodatés de la piste d'audit (JSON) pour une vérification hors ligne."

    def add_arguments(self, parser):
        parser.add_argument("path", help="fichier à écrire (ancrages.json)")

    def handle(self, *args, **options):
        with open(options["path"], "wb") as fh:
            count = write_anchors(fh)
        self.stdout.write(f"{count} ancrage(s) exporté(s) dans {options['path']}.")
