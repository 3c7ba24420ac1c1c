"""``python manage.py export_audit [--dossier ID] -o FILE.jsonl``: the audit trail as JSON Lines.

The same bytes as the « Contrôle » page's download for the same trail. Check the file offline with
``python3 scripts/verify_audit_export.py FILE.jsonl``.
"""

from django.core.management.base import BaseCommand, CommandError

from fonds.dossiers.models import Dossier
from fonds.reporting import exports


class Command(BaseCommand):
    help = "Exporte la piste d'audit (entière ou d'un dossier) en JSON Lines vérifiable hors ligne."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dossier", type=int, default=None, help="identifiant du dossier (défaut : toute la piste)"
        )
        parser.add_argument("-o", "--output", required=True, help="fichier à écrire (.jsonl)")

    def handle(self, *args, **options):
        dossier_id = options["dossier"]
        if dossier_id is not None and not Dossier.objects.filter(pk=dossier_id).exists():
            raise CommandError(f"Dossier {dossier_id} introuvable.")
        with open(options["output"], "wb") as fh:
            summary = exports.write_audit_export(fh, dossier_id=dossier_id, actor="manage.py export_audit")
        self.stdout.write(
            f"{summary['rows']} événement(s) écrits dans {options['output']} (SHA-256 {summary['sha256']})."
        )
