"""``python manage.py export_batch BATCH_ID -o FILE.xml``: the batch's validated SEPA file (the
same bytes the UI offers)."""

from __future__ import annotations

import hashlib

from django.core.management.base import BaseCommand, CommandError

from fonds.dossiers.services import TransitionRefused
from fonds.payments.batches import export_batch


class Command(BaseCommand):
    help = "Écrit le fichier de virements SEPA (pain.001.001.03, validé par le XSD) d'un lot prêt."

    def add_arguments(self, parser):
        parser.add_argument("batch_id", type=int)
        parser.add_argument("-o", "--output", required=True, help="fichier XML à écrire")

    def handle(self, batch_id, output, **options):
        try:
            data = export_batch(batch_id, by=None)
        except TransitionRefused as exc:
            raise CommandError(exc.message) from exc
        with open(output, "wb") as fh:
            fh.write(data)
        self.stdout.write(f"{output} : {len(data)} octets, SHA-256 {hashlib.sha256(data).hexdigest()}")
