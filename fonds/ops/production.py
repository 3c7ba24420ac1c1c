"""What must never run in the production profile (``FJJ_DEBUG=0``) unless explicitly forced.

The demonstration commands (``seed_demo``, ``demo_otp_code``) create accounts with a known
password and TOTP keys derived from the e-mail address: in production they would open the site
to anyone who has read the README. They refuse unless given ``--force-production``, and then
print a warning in French (issue 14).
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import CommandError

FORCE_OPTION = "--force-production"


def is_production() -> bool:
    """The production profile: ``FJJ_DEBUG=0`` when the settings were loaded (``settings.DEBUG``
    itself is turned off by the test runner, so it cannot tell)."""
    return bool(getattr(settings, "FJJ_PRODUCTION", False))


def add_force_option(parser) -> None:
    parser.add_argument(
        FORCE_OPTION,
        action="store_true",
        dest="force_production",
        help=(
            "exécuter malgré le profil de production (FJJ_DEBUG=0) : comptes au mot de passe connu, à éviter"
        ),
    )


def refuse_demo_in_production(command: str, *, forced: bool, warn) -> None:
    """Raise ``CommandError`` in production unless ``forced``; when forced, ``warn(text)`` once."""
    if not is_production():
        return
    if not forced:
        raise CommandError(
            f"« {command} » refuse de s'exécuter en production (FJJ_DEBUG=0) : "
            "la démonstration crée des comptes au mot de passe connu "
            "et des clés de double authentification déduites de leur adresse. "
            f"Si c'est vraiment voulu (serveur de démonstration), relancez avec {FORCE_OPTION}."
        )
    warn(
        f"ATTENTION : « {command} » est exécutée en production (FJJ_DEBUG=0) avec {FORCE_OPTION}. "
        "Les comptes de démonstration (*@demo.fjj.fr) ont un mot de passe connu "
        "et des codes de double authentification calculables : "
        "supprimez-les ou désactivez-les avant toute ouverture au public."
    )
