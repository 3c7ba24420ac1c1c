"""Import (upsert) the commune referential: ``python manage.py import_communes [FILE]``."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from fonds.audit import chain
from fonds.referentiel.importer import CommuneFileError, default_fixture_path, read_communes_file
from fonds.referentiel.upsert import upsert_communes


class Command(BaseCommand):
    help = (
        "Importe le référentiel des communes (TSV, éventuellement gzip) : crée les nouvelles, "
        "met à jour celles qui ont changé, laisse les autres. "
        "Un fichier invalide est refusé en entier, sans rien modifier."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "file", nargs="?", default=None, help=f"fichier à importer (défaut : {default_fixture_path()})"
        )
        parser.add_argument("--dry-run", action="store_true", help="valider et compter sans rien écrire")
        parser.add_argument(
            "--batch-size", type=int, default=1000, help="taille des lots d'écriture (défaut : 1000)"
        )

    def handle(self, *args, file, dry_run, batch_size, **options):
        if batch_size < 1:
            raise CommandError("--batch-size doit être un entier positif.")
        path = Path(file) if file else default_fixture_path()
        started = time.perf_counter()
        try:
            communes = read_communes_file(path)
        except CommuneFileError as exc:
            raise CommandError(f"{exc}\nAucune commune n'a été importée.") from exc

        with transaction.atomic():
            result = upsert_communes(communes.records, batch_size=batch_size, dry_run=dry_run)
            if result.changed and not dry_run:
                self._audit(path, communes, result)
        elapsed = time.perf_counter() - started

        prefix = "Simulation (rien n'est écrit) : " if dry_run else ""
        self.stdout.write(
            self.style.SUCCESS(f"{prefix}{result.summary()}")
            + f" ({len(communes)} lignes lues en {elapsed:.1f} s)."
        )
        if result.updated_fields:
            self.stdout.write(f"Champs modifiés : {', '.join(result.updated_fields)}.")
        if result.absent_from_file:
            self.stdout.write(
                self.style.WARNING(
                    f"{result.absent_from_file} commune(s) présente(s) en base "
                    "mais absente(s) du fichier : conservée(s) "
                    "(elles peuvent être référencées par des dossiers ou des utilisateurs)."
                )
            )

    @staticmethod
    def _audit(path: Path, communes, result) -> None:
        chain.append_many(
            [
                {
                    "action": "referentiel.communes_imported",
                    "actor_label": "manage.py import_communes",
                    "payload": {
                        "file": path.name,
                        "sha256": communes.sha256,
                        "source": communes.metadata.get("source", ""),
                        "rows": len(communes),
                        "created": result.created,
                        "updated": result.updated,
                        "unchanged": result.unchanged,
                        "updated_fields": result.updated_fields,
                    },
                }
            ]
        )
