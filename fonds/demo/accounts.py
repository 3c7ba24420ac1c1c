"""The demonstration's accounts: one per role of the fund's staff (``*@demo.fjj.fr``, a TOTP
device already enrolled, its code derived from the email) and one porteur per commune.

Every account gets the same password: ``$FJJ_DEMO_PASSWORD``, else ``DEFAULT_PASSWORD``.
"""

from __future__ import annotations

import hashlib
import os

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice

from fonds.accounts.models import User
from fonds.accounts.roles import Role
from fonds.audit import chain as audit

DEMO_DOMAIN = "demo.fjj.fr"
PASSWORD_ENV = "FJJ_DEMO_PASSWORD"
DEFAULT_PASSWORD = "demo-jumelages-2026"
ACTOR_LABEL = "manage.py seed_demo"
MAIN_PORTEUR = f"porteur@{DEMO_DOMAIN}"

#: (local part, role, first name, last name, administrator) — the fund's staff accounts
STAFF_ACCOUNTS = [
    ("instructeur", Role.INSTRUCTEUR, "Camille", "Martin", False),
    ("comite", Role.COMITE, "Julien", "Bernard", False),
    ("president", Role.COMITE, "Hélène", "Dubois", False),
    ("finance", Role.FINANCE, "Sophie", "Laurent", False),
    ("auditeur", Role.AUDITEUR, "Marc", "Lefebvre", False),
    ("admin", Role.ADMIN, "Nadia", "Moreau", True),
]


class DemoError(Exception):
    """The demo cannot be seeded (message in French, for the command line)."""


def porteur_email(commune_code: str, main: bool = False) -> str:
    return MAIN_PORTEUR if main else f"porteur-{commune_code.lower()}@{DEMO_DOMAIN}"


def demo_password() -> str:
    return os.environ.get(PASSWORD_ENV) or DEFAULT_PASSWORD


def demo_totp_key(email: str) -> str:
    """The TOTP secret of a demo agent: derived from the email, so the demo needs no phone.

    Demo accounts only (``@demo.fjj.fr``): ``python manage.py demo_otp_code EMAIL`` prints the
    current code; the command refuses any other account.
    """
    return hashlib.sha1(f"fjj-demo-totp:{email.lower()}".encode()).hexdigest()


def demo_totp_device(user):
    if not user.email.lower().endswith("@" + DEMO_DOMAIN):
        raise DemoError("Appareil TOTP de démonstration réservé aux comptes @" + DEMO_DOMAIN)
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, name="Démonstration", defaults={"key": demo_totp_key(user.email), "confirmed": True}
    )
    return device


class Accounts:
    """Creates (or completes) the demo accounts, each creation audited as the seeding command."""

    def __init__(self, password: str | None):
        self.password_from_env = password is None and bool(os.environ.get(PASSWORD_ENV))
        self.password_hash = make_password(password or demo_password())
        self.groups = {g.name: g for g in Group.objects.filter(name__in=Role.values)}
        self.staff: dict[str, User] = {}

    def user(self, email: str, roles: list[str], *, first: str, last: str, commune=None, admin=False) -> User:
        user = User.objects.filter(email__iexact=email).first()
        creating = user is None
        if creating:
            user = User(
                email=email,
                username=email,
                first_name=first,
                last_name=last,
                commune=commune,
                is_staff=admin,
                is_superuser=admin,
                password=self.password_hash,
            )
            user.save()
        elif commune is not None and user.commune_id != commune.pk:
            raise DemoError(
                f"Le compte {email} existe déjà, rattaché à une autre commune "
                f"({user.commune_id or 'aucune'}) : supprimez-le ou changez sa commune avant de créer la "
                "démo."
            )
        missing = [self.groups[r] for r in roles if not user.groups.filter(name=r).exists()]
        if missing:
            user.groups.add(*missing)
        user._fjj_roles = None
        if creating or missing:
            audit.append_many(
                [
                    {
                        "action": "accounts.user_created" if creating else "accounts.user_updated",
                        "actor_label": ACTOR_LABEL,
                        "obj": user,
                        "payload": {
                            "email": user.email,
                            "roles": sorted(roles),
                            "commune": user.commune_id or "",
                            "is_staff": user.is_staff,
                            "password_set": creating,
                            "demo": True,
                        },
                    }
                ]
            )
        return user

    def create_staff(self) -> dict[str, User]:
        for local, role, first, last, admin in STAFF_ACCOUNTS:
            user = self.user(f"{local}@{DEMO_DOMAIN}", [role], first=first, last=last, admin=admin)
            demo_totp_device(user)
            self.staff[local] = user
        return self.staff

    def porteur(self, commune, *, main: bool = False) -> User:
        return self.user(
            porteur_email(commune.code, main),
            [Role.PORTEUR],
            first="Mairie",
            last=commune.name[:150],
            commune=commune,
        )
