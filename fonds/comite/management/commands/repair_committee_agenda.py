"""``python manage.py repair_committee_agenda [--dry-run]``: put back to « instruit » every dossier
left « en comité » without an undecided agenda item of a session that is not closed.

Each repair is the system's ``unschedule`` transition (forum ``system``: one transaction and one
audit event per dossier, with the motivation), then one ``comite_agenda_repaired`` event lists
the run. ``--dry-run`` lists the dossiers without changing anything. Exit status 0.
"""

from django.core.management.base import BaseCommand

from fonds.comite.agenda import repair_orphans


class Command(BaseCommand):
    help = (
        "Remet « instruit » chaque dossier « en comité » qui ne figure à l'ordre du jour d'aucune séance "
        "non close (audité)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Lister les dossiers concernés sans rien modifier."
        )

    def handle(self, *args, dry_run=False, **options):
        repaired, refused = repair_orphans(dry_run=dry_run)
        if not repaired and not refused:
            self.stdout.write("Aucun dossier « en comité » hors ordre du jour : rien à réparer.")
            return
        if dry_run:
            self.stdout.write(
                f"{len(repaired)} dossier(s) « en comité » hors ordre du jour "
                "(simulation, rien n'est modifié) :"
            )
            for reference in repaired:
                self.stdout.write(f"  {reference}")
            return
        self.stdout.write(
            f"{len(repaired)} dossier(s) remis « instruit » (événement d'audit « unschedule » pour chacun) :"
        )
        for reference in repaired:
            self.stdout.write(f"  {reference}")
        for reference, message in refused:
            self.stderr.write(f"Non réparé : {reference} — {message}")
