"""``python manage.py seed_demo``: demo accounts and dossiers (never in production).

The logic lives in `fonds.demo`. Runs once: when the demo campaign exists, says so and exits 0
(the audit trail is append-only, so the demo is never deleted nor rebuilt). Refuses the
production profile (``FJJ_DEBUG=0``) unless ``--force-production`` is given (``fonds.ops.production``).
"""

from django.core.management.base import BaseCommand, CommandError

from fonds.demo import DEFAULT_PASSWORD, PASSWORD_ENV, DemoError, seed_demo
from fonds.ops.production import add_force_option, refuse_demo_in_production


class Command(BaseCommand):
    help = (
        "Crée la démonstration : une campagne pilote close et une campagne ouverte, un compte par rôle "
        f"(*@demo.fjj.fr, mot de passe ${PASSWORD_ENV}, par défaut « {DEFAULT_PASSWORD} ») "
        "et une trentaine de dossiers dans tous les statuts, chacun par son forum et dans l'ordre "
        "chronologique (piste d'audit authentique), dont une séance du comité convoquée, prête à être "
        "ouverte. Sans effet si la démo existe déjà. "
        "Nécessite le référentiel des communes (manage.py import_communes)."
    )

    def add_arguments(self, parser):
        add_force_option(parser)

    def handle(self, *args, force_production=False, **options):
        refuse_demo_in_production(
            "seed_demo",
            forced=force_production,
            warn=lambda text: self.stderr.write(self.style.WARNING(text)),
        )
        try:
            result = seed_demo()
        except DemoError as exc:
            raise CommandError(str(exc)) from exc
        lines = result.summary_lines()
        if not result.created:
            self.stdout.write(self.style.WARNING(lines[0]))
            return
        self.stdout.write(self.style.SUCCESS(lines[0]))
        for line in lines[1:]:
            self.stdout.write(line)
