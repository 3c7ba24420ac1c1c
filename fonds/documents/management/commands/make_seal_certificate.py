"""``python manage.py make_seal_certificate``: a self-signed demonstration seal at ``FJJ_SEAL_PEM``
(embedded profile; production uses a qualified seal certificate, see docs/proof.md)."""

from pathlib import Path

from cryptography.hazmat.primitives import hashes
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from fonds.documents.seal import make_demo_seal, seal_certificates


class Command(BaseCommand):
    help = "Crée un certificat de sceau de démonstration (auto-signé) pour les PDF du fonds."

    def add_arguments(self, parser):
        parser.add_argument("--replace", action="store_true", help="remplace le sceau existant")
        parser.add_argument("--years", type=int, default=3, help="durée de validité (années, défaut 3)")

    def handle(self, *args, **options):
        path = Path(settings.FJJ_SEAL_PEM)
        if path.exists() and not options["replace"]:
            raise CommandError(f"Un sceau existe déjà : {path} (--replace pour le remplacer).")
        make_demo_seal(
            path, passphrase=settings.FJJ_SEAL_PASSPHRASE, years=options["years"], replace=options["replace"]
        )
        cert = seal_certificates(path)[0]
        self.stdout.write(
            f"Sceau de démonstration écrit dans {path}, valable jusqu'au "
            f"{cert.not_valid_after_utc:%d/%m/%Y} ; empreinte SHA-256 du certificat : "
            f"{cert.fingerprint(hashes.SHA256()).hex()}"
        )
