"""``python manage.py anchor_audit``: time-stamp the chain head now (what the daily task does)."""

from django.core.management.base import BaseCommand, CommandError

from fonds.anchors.service import anchor_head
from fonds.anchors.state import configured


class Command(BaseCommand):
    help = "Fait horodater maintenant la tête de la piste d'audit par l'autorité configurée."

    def handle(self, *args, **options):
        if not configured():
            raise CommandError("Aucune autorité d'horodatage configurée (FJJ_TSA_URL).")
        anchor = anchor_head("manual")
        if anchor is None:
            raise CommandError("L'autorité d'horodatage n'a pas répondu (voir /sante/ et les journaux).")
        self.stdout.write(f"Tête n° {anchor.seq} horodatée le {anchor.gen_time:%d/%m/%Y à %H:%M} UTC.")
