from django.core.management.base import BaseCommand

from fonds.ops.outbox import flush


class Command(BaseCommand):
    help = "Envoie au broker les tâches restées en attente (broker indisponible au moment du commit)."

    def handle(self, *args, **options):
        result = flush()
        self.stdout.write(
            f"{result['sent']} tâche(s) envoyée(s), {result['waiting']} en attente"
            + (" — broker toujours indisponible." if result["failed"] else ".")
        )
        if result["failed"]:
            raise SystemExit(1)
