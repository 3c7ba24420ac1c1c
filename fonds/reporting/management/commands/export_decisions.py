"""``python manage.py export_decisions --format {csv,xlsx,ods,scdl} [--campaign ID] [--semicolon] -o FILE``.

The same bytes as the « Contrôle » page for the same data; each run is recorded in the audit trail
(format, selection, row count, SHA-256).
"""
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from fonds.referentiel.models import Campaign
from fonds.reporting import exports
from fonds.reporting.models import ExportJob


class Command(BaseCommand):
    help = "Exporte les décisions (une ligne par dossier) en CSV, XLSX, ODS ou données ouvertes SCDL."

    def add_arguments(self, parser):
        parser.add_argument("--format", required=True, choices=ExportJob.Format.values)
        parser.add_argument("--campaign", type=int, default=None, help="identifiant de la campagne (défaut : toutes)")
        parser.add_argument("--semicolon", action="store_true", help="CSV : séparateur « ; » et virgule décimale (tableurs français)")
        parser.add_argument("-o", "--output", required=True, help="fichier à écrire")

    def handle(self, *args, **options):
        campaign = None
        if options["campaign"] is not None:
            campaign = Campaign.objects.filter(pk=options["campaign"]).first()
            if campaign is None:
                raise CommandError(f"Campagne {options['campaign']} introuvable.")
        try:
            summary = exports.export_to_file(options["output"], options["format"], campaign=campaign, semicolon=options["semicolon"])
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc))
        self.stdout.write(f"{summary['rows']} ligne(s) écrites dans {options['output']} ({summary['size']} octets, SHA-256 {summary['sha256']}).")
