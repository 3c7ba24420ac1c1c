"""``python manage.py verify_audit``: check the whole audit chain.

Exit status 0 and « Piste d'audit intègre : N événements. » when intact; otherwise the first bad
sequence number and the reason on standard error, exit status 1. It also covers the sequencer's
lag (deferred mode): the events waiting to be chained are counted, and an event waiting longer
than ``FJJ_AUDIT_MAX_LAG_SECONDS`` fails the check too (exit status 1).
"""

import time

from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand

from fonds.audit import sequencer
from fonds.audit.chain import default_workers, describe, describe_lag, verify


class Command(BaseCommand):
    help = "Vérifie la piste d'audit (chaînage des empreintes, colonnes, tête de chaîne)."

    def add_arguments(self, parser):
        parser.add_argument("--quiet", action="store_true", help="n'affiche rien si la piste est intègre")
        parser.add_argument(
            "--chunk-size", type=int, default=10000, help="événements lus par aller-retour (défaut 10000)"
        )
        parser.add_argument("--database", default="default", help="alias de la base (défaut « default »)")
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="processus de vérification (défaut : un par cœur, au plus 4 ; 1 pour une piste courte)",
        )

    def handle(self, *args, **options):
        started = time.perf_counter()
        workers = options["workers"] or default_workers()
        result = verify(chunk_size=options["chunk_size"], using=options["database"], workers=workers)
        elapsed = time.perf_counter() - started
        pending, age = sequencer.pending_status(options["database"])
        late = age is not None and age > sequencer.max_lag_seconds()
        if not result.ok:
            self.stderr.write(describe(result))
        if late:
            self.stderr.write(describe_lag(pending, age))
        if not result.ok or late:
            raise SystemExit(1)
        if not options["quiet"]:
            self.stdout.write(describe(result))
            if pending:
                self.stdout.write(describe_lag(pending, age))
            if options["verbosity"] >= 2:
                self.stdout.write(f"Empreinte de tête : {result.last_hash} (vérifiée en {elapsed:.2f} s)")
        if "verify_anchors" in get_commands():  # fonds.anchors (a higher layer): the time-stamped heads
            call_command(
                "verify_anchors", quiet=options["quiet"], stdout=self.stdout._out, stderr=self.stderr._out
            )
