from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp

from fonds.accounts.models import User
from fonds.demo import DEMO_DOMAIN, demo_totp_device


class Command(BaseCommand):
    help = "Affiche le code de double authentification courant d'un compte de DÉMONSTRATION (@demo.fjj.fr)."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email, **options):
        if not email.lower().endswith("@" + DEMO_DOMAIN):
            raise CommandError(f"Réservé aux comptes de démonstration (@{DEMO_DOMAIN}).")
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"Aucun compte {email} : lancez d'abord `python manage.py seed_demo`.")
        device = demo_totp_device(user)
        self.stdout.write(f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}")
