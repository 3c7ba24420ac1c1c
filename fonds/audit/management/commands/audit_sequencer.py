"""``python manage.py audit_sequencer``: the process that chains pending audit events (deferred mode).

Runs until stopped (SIGTERM/SIGINT finish the current batch), polling every ``--interval`` seconds
when nothing is pending; one per database (a PostgreSQL advisory lock: a second one waits, ready
to take over). ``--once`` chains everything pending and exits (maintenance, mode switch).
"""

import signal

from django.core.management.base import BaseCommand

from fonds.audit import sequencer


class Command(BaseCommand):
    help = "Chaîne les événements d'audit en attente (mode différé), en continu ou une fois (--once)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="chaîne ce qui attend, puis s'arrête")
        parser.add_argument(
            "--interval", type=float, default=0.1, help="attente quand rien n'attend, en secondes (0,1)"
        )
        parser.add_argument(
            "--batch", type=int, default=sequencer.BATCH, help="événements par transaction (2000)"
        )
        parser.add_argument("--database", default="default", help="alias de la base (défaut « default »)")

    def handle(self, *args, **options):
        using, batch = options["database"], options["batch"]
        if options["once"]:
            chained = sequencer.sequence_all(using, batch)
            self.stdout.write(f"{chained} événement(s) chaîné(s).")
            return
        stopping = []

        def stop(signum, frame):  # noqa: ARG001
            stopping.append(signum)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        chained = sequencer.run(
            interval=options["interval"],
            limit=batch,
            stop=lambda: bool(stopping),
            using=using,
            log=self.say,
        )
        self.say(f"Séquenceur d'audit arrêté : {chained} événement(s) chaîné(s).")

    def say(self, line: str) -> None:
        """A line on standard output, flushed at once (a service's journal, a pipe)."""
        self.stdout.write(line)
        self.stdout.flush()
