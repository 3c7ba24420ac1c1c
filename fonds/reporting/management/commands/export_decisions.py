"""``python manage.py export_decisions --format {csv,xlsx,ods,scdl} [--campaign ID] [--semicolon] -o FILE``.

The same bytes as the « Contrôle » page for the same data; each run is recorded in the audit trail
(format, selection, row count, SHA-256). SCDL: stderr says how many rows carry no certified SIRET
(``idBeneficiaire`` = the declared SIRET, else the SIREN; see ``fonds.reporting.scdl``).
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
        sources = summary.get("id_beneficiaire")
        if sources is not None:
            self.stderr.write(beneficiary_notice(sources))


def beneficiary_notice(sources: dict) -> str:
    """The SCDL fallback made visible: rows whose idBeneficiaire is not a certified SIRET."""
    from fonds.reporting.scdl import CERTIFIED, DECLARED, SIREN

    missing = sources.get(DECLARED, 0) + sources.get(SIREN, 0)
    if not missing:
        return f"idBeneficiaire : SIRET certifié pour toutes les lignes ({sources.get(CERTIFIED, 0)})."
    return (
        f"idBeneficiaire : {missing} ligne(s) sans SIRET certifié — {sources.get(DECLARED, 0)} avec le SIRET déclaré par la "
        f"commune (pas encore certifié par le fonds), {sources.get(SIREN, 0)} avec le SIREN seul (aucun SIRET saisi) ; "
        f"{sources.get(CERTIFIED, 0)} ligne(s) avec un SIRET certifié."
    )
