"""``manage.py reset_two_factor EMAIL --motif …``: the second-factor reset of the accounts
administration (``fonds.accounts.lifecycle.reset_second_factor``) from the command line."""

from django.core.management.base import BaseCommand, CommandError

from fonds.accounts.lifecycle import reset_second_factor
from fonds.accounts.models import User


class Command(BaseCommand):
    help = (
        "Supprime l'application d'authentification d'un agent (téléphone perdu) : "
        "il en enrôlera une nouvelle à sa prochaine connexion."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument(
            "--motif", required=True, help="motif de la réinitialisation (inscrit dans la piste d'audit)"
        )

    def handle(self, *args, email, motif, **options):
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"Aucun compte {email}.")
        if not motif.strip():
            raise CommandError("Indiquez le motif (--motif).")
        count = reset_second_factor(user, by="commande reset_two_factor", motivation=motif)
        self.stdout.write(
            f"{count} appareil(s) supprimé(s) pour {user.email} ; nouvel enrôlement à la prochaine connexion."
        )
