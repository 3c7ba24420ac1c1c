"""``python manage.py seed_bench --campaigns 5`` — the realistic BENCH data set (never production)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from fonds.demo.bench.build import build


class Command(BaseCommand):
    help = (
        "Crée un jeu de données de BANC D'ESSAI (jamais en production) : N campagnes d'un dossier par "
        "commune de 3 500 habitants au plus (--scale : une fraction de ces communes), répartis sur tous "
        "les statuts comme une vraie campagne, avec toutes les tables d'une base de production remplies "
        "(contrôles d'éligibilité E1–E9, dérogations, notes, synthèses, séances, ordres du jour et votes, "
        "ordres de paiement et lots, messages) et la piste d'audit chaînée de tout cela "
        "(fonds.audit.chain.append_many : COPY sous PostgreSQL). Insertion en masse (bulk_create), "
        "SANS passer par les services ni par viewflow : acceptable pour un banc d'essai seulement."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--campaigns", type=int, default=None, help="nombre de campagnes (5 : ~160 000 dossiers)"
        )
        parser.add_argument(
            "--scale", type=float, default=1.0, help="part des petites communes par campagne (0 < s ≤ 1)"
        )
        parser.add_argument(
            "--dossiers", type=int, default=None, help="nombre total de dossiers (au lieu de --scale)"
        )
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--instructors", type=int, default=20)

    def handle(self, *args, campaigns, scale, dossiers, seed, instructors, **options):
        if dossiers is not None and dossiers < 1:
            raise CommandError("--dossiers doit être positif.")
        if not 0 < scale <= 1:
            raise CommandError("--scale doit être compris entre 0 (exclu) et 1.")
        if campaigns is None and dossiers is None:
            campaigns = 5
        if campaigns is not None and campaigns < 1:
            raise CommandError("--campaigns doit être positif.")
        made = build(
            campaigns=campaigns,
            scale=scale,
            dossiers=dossiers,
            instructors=instructors,
            seed=seed,
            out=self.stdout.write,
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"{made['dossiers']} dossiers et {made['events']} événements d'audit créés "
                f"en {made['seconds']:.1f} s."
            )
        )
