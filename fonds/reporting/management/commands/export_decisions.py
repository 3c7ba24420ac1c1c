"""``manage.py export_decisions --format {csv,xlsx,ods,scdl} [--campaign ID] [--semicolon] -o FILE``:
the same bytes as the « Contrôle » page, each run audited. SCDL: stderr lists the awards held
back for want of a valid SIRET and counts the rows with a SIRET declared, not yet certified."""

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from fonds.referentiel.models import Campaign
from fonds.reporting import exports
from fonds.reporting.models import ExportJob
from fonds.reporting.scdl import CERTIFIED, DECLARED


class Command(BaseCommand):
    help = "Exporte les décisions (une ligne par dossier) en CSV, XLSX, ODS ou données ouvertes SCDL."

    def add_arguments(self, parser):
        parser.add_argument("--format", required=True, choices=ExportJob.Format.values)
        parser.add_argument(
            "--campaign", type=int, default=None, help="identifiant de la campagne (défaut : toutes)"
        )
        parser.add_argument(
            "--semicolon",
            action="store_true",
            help="CSV : séparateur « ; » et virgule décimale (tableurs français)",
        )
        parser.add_argument("-o", "--output", required=True, help="fichier à écrire")

    def handle(self, *args, **options):
        campaign = None
        if options["campaign"] is not None:
            campaign = Campaign.objects.filter(pk=options["campaign"]).first()
            if campaign is None:
                raise CommandError(f"Campagne {options['campaign']} introuvable.")
        try:
            summary = exports.export_to_file(
                options["output"], options["format"], campaign=campaign, semicolon=options["semicolon"]
            )
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{summary['rows']} ligne(s) écrites dans {options['output']} ({summary['size']} octets, SHA-256 "
            f"{summary['sha256']})."
        )
        sources = summary.get("id_beneficiaire")
        if sources is not None:
            self.stderr.write(beneficiary_notice(sources, summary.get("held_back", [])))


def beneficiary_notice(sources: dict, held_back: list[dict]) -> str:
    """SCDL: the awards held back (no valid SIRET: not in the file, to be completed), then the
    rows published with a declared SIRET not yet certified."""
    lines = []
    if held_back:
        lines.append(
            f"Données ouvertes : {len(held_back)} subvention(s) retenue(s), absente(s) du fichier "
            "faute de SIRET valide de la mairie (idBeneficiaire n'est jamais publié avec un autre "
            "identifiant) ; à compléter (SIRET saisi par la commune avec ses coordonnées bancaires, "
            "certifié par le fonds) :"
        )
        lines.extend(
            f"  {r['reference']} — commune de {r['commune_name']} ({r['commune']})" for r in held_back
        )
    published = sources.get(CERTIFIED, 0) + sources.get(DECLARED, 0)
    if sources.get(DECLARED, 0):
        lines.append(
            f"idBeneficiaire : {published} ligne(s) publiée(s), dont {sources[DECLARED]} avec le SIRET "
            f"déclaré par la commune (pas encore certifié par le fonds) et {sources.get(CERTIFIED, 0)} "
            "avec un SIRET certifié."
        )
    else:
        certified = sources.get(CERTIFIED, 0)
        lines.append(f"idBeneficiaire : SIRET certifié pour toutes les lignes publiées ({certified}).")
    return "\n".join(lines)
