"""``python manage.py verify_anchors``: check the RFC 3161 anchors of the audit chain (also run by
``verify_audit``). Exit status 1 naming the first failing anchor."""

from django.core.management.base import BaseCommand

from fonds.anchors.service import describe, verify_anchors
from fonds.anchors.state import configured


class Command(BaseCommand):
    help = "Vérifie les jetons d'horodatage de la tête de chaîne et la piste à chaque point ancré."

    def add_arguments(self, parser):
        parser.add_argument("--quiet", action="store_true", help="n'affiche rien si les ancrages tiennent")

    def handle(self, *args, **options):
        report = verify_anchors()
        if not report.ok:
            self.stderr.write(describe(report))
            raise SystemExit(1)
        if not options["quiet"] and (report.count or configured()):
            self.stdout.write(describe(report))
