"""``python manage.py send_invitation EMAIL``: email an existing account its invitation link.

Create the account first (``manage.py add_user EMAIL --role porteur --commune CODE``); the link
lets the person choose a password within ``FJJ_INVITATION_DAYS`` days (7 by default), once.
"""

from django.core.management.base import BaseCommand, CommandError

from fonds.accounts.models import User
from fonds.depot.invitations import invitation_days, send_invitation


class Command(BaseCommand):
    help = (
        "Envoie à un compte existant son lien d'invitation (choix du mot de passe, valable "
        "FJJ_INVITATION_DAYS jours, à usage unique)."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", help="adresse électronique du compte (créé avec manage.py add_user)")

    def handle(self, *args, email, **options):
        user = User.objects.filter(email__iexact=(email or "").strip()).first()
        if user is None:
            raise CommandError(
                f"Aucun compte « {email} » : créez-le d'abord avec « manage.py add_user {email} --role … »."
            )
        if not user.is_active:
            raise CommandError(f"Le compte « {user.email} » est désactivé.")
        url = send_invitation(user)
        self.stdout.write(
            self.style.SUCCESS(
                f"Invitation envoyée à {user.email} (lien valable {invitation_days()} jours, à usage "
                f"unique) : {url}"
            )
        )
