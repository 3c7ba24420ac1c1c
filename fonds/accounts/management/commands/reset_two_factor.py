from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from fonds.accounts.models import User
from fonds.audit import chain as audit


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
        with transaction.atomic():
            count, _ = TOTPDevice.objects.filter(user=user).delete()
            audit.append_many(
                [
                    {
                        "action": "two_factor_reset",
                        "actor_label": "commande reset_two_factor",
                        "role": "admin",
                        "obj": user,
                        "payload": {
                            "email": user.email,
                            "devices_removed": count,
                            "motivation": motif.strip(),
                        },
                    }
                ]
            )
        self.stdout.write(
            f"{count} appareil(s) supprimé(s) pour {user.email} ; nouvel enrôlement à la prochaine connexion."
        )
