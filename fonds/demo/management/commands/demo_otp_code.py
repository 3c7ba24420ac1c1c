from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp

from fonds.accounts.models import User
from fonds.demo import DEMO_DOMAIN, demo_totp_device
from fonds.ops.production import add_force_option, refuse_demo_in_production


class Command(BaseCommand):
    help = "Affiche le code de double authentification courant d'un compte de DÉMONSTRATION (@demo.fjj.fr)."

    def add_arguments(self, parser):
        parser.add_argument("email")
        add_force_option(parser)

    def handle(self, *args, email, force_production=False, **options):
        refuse_demo_in_production(
            "demo_otp_code",
            forced=force_production,
            warn=lambda text: self.stderr.write(self.style.WARNING(text)),
        )
        if not email.lower().endswith("@" + DEMO_DOMAIN):
            raise CommandError(f"Réservé aux comptes de démonstration (@{DEMO_DOMAIN}).")
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"Aucun compte {email} : lancez d'abord `python manage.py seed_demo`.")
        device = demo_totp_device(user)
        self.stdout.write(
            f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"
        )
