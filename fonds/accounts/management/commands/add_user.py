"""Create or update a user and its roles: ``python manage.py add_user EMAIL --role ROLE …``.

The password comes from the ``FJJ_PASSWORD`` environment variable, or is asked twice. Running the
command again for an existing address sets its roles (exactly those given) and commune; its
password is changed only when ``FJJ_PASSWORD`` is set or ``--reset-password`` is given.
"""

from __future__ import annotations

import getpass
import os

from django.contrib.auth.hashers import check_password
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction

from fonds.accounts.models import User
from fonds.accounts.roles import ALL_DOSSIERS_ROLES, Role

#: the referentiel's commune, through the user's foreign key (accounts sits below referentiel)
Commune = User._meta.get_field("commune").related_model

PASSWORD_ENV = "FJJ_PASSWORD"


def _roles_label(roles) -> str:
    return ", ".join(r for r in Role.values if r in roles) or "aucun"


class Command(BaseCommand):
    help = (
        "Crée ou met à jour un utilisateur et ses rôles "
        f"({', '.join(Role.values)}). Mot de passe : variable {PASSWORD_ENV}, sinon saisi deux fois."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", help="adresse électronique (identifiant de connexion)")
        parser.add_argument(
            "--role",
            dest="roles",
            action="append",
            default=[],
            metavar="ROLE",
            help=f"rôle à attribuer, répétable : {', '.join(Role.values)}",
        )
        parser.add_argument(
            "--commune",
            default=None,
            metavar="INSEE",
            help="code INSEE de la commune (obligatoire pour un porteur)",
        )
        parser.add_argument("--first-name", default=None, help="prénom")
        parser.add_argument("--last-name", default=None, help="nom")
        parser.add_argument(
            "--reset-password",
            action="store_true",
            help=f"pour un utilisateur existant : changer le mot de passe (sinon seulement si {PASSWORD_ENV} est défini)",
        )

    def handle(self, *args, email, roles, commune, first_name, last_name, reset_password, **options):
        email = self._clean_email(email)
        roles = self._clean_roles(roles)
        commune_obj = self._clean_commune(commune, roles)

        user = User.objects.filter(email__iexact=email).first()
        creating = user is None
        if creating:
            user = User(email=email, username=email)
        before_roles = (
            frozenset()
            if creating
            else frozenset(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
        )
        before = (
            None
            if creating
            else (before_roles, user.commune_id, user.is_staff, user.first_name, user.last_name)
        )
        if first_name is not None:
            user.first_name = first_name.strip()
        if last_name is not None:
            user.last_name = last_name.strip()

        password = None
        if creating or reset_password or os.environ.get(PASSWORD_ENV):
            password = self._password(user)
            if not creating and check_password(password, user.password):
                password = None  # same password as before: nothing to change

        with transaction.atomic():
            user.commune = commune_obj
            user.is_staff = Role.ADMIN in roles or user.is_superuser
            if password is not None:
                user.set_password(password)
            user.save()
            groups = [Group.objects.get_or_create(name=role)[0] for role in sorted(roles)]
            kept = list(user.groups.exclude(name__in=Role.values))
            user.groups.set(kept + groups)
            after = (frozenset(roles), user.commune_id, user.is_staff, user.first_name, user.last_name)
            changed = creating or after != before or password is not None
            if changed:
                self._audit(
                    user,
                    creating=creating,
                    before_roles=before_roles,
                    roles=roles,
                    password_set=password is not None,
                )

        where = f" — commune {commune_obj}" if commune_obj else ""
        staff = " — accès à l'administration Django" if user.is_staff else ""
        if creating:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Utilisateur créé : {user.email} — rôles : {_roles_label(roles)}{where}{staff}."
                )
            )
        elif changed:
            details = []
            if before_roles != roles:
                details.append(f"rôles : {_roles_label(before_roles)} → {_roles_label(roles)}")
            if before[1] != user.commune_id:
                details.append(f"commune : {before[1] or 'aucune'} → {user.commune_id or 'aucune'}")
            if password is not None:
                details.append("mot de passe changé")
            if before[3:] != after[3:]:
                details.append("nom mis à jour")
            if before[2] != user.is_staff:
                details.append("accès à l'administration " + ("accordé" if user.is_staff else "retiré"))
            self.stdout.write(
                self.style.SUCCESS(f"Utilisateur existant mis à jour : {user.email} — {' ; '.join(details)}.")
            )
        else:
            self.stdout.write(
                f"Utilisateur existant déjà à jour : {user.email} — rôles : {_roles_label(roles)}{where}."
            )
        if Role.PORTEUR in roles and roles & ALL_DOSSIERS_ROLES:
            self.stdout.write(
                self.style.WARNING(
                    "Attention : ce porteur détient aussi un rôle qui voit tous les dossiers ; il ne doit ni instruire "
                    "ni voter sur un dossier de sa commune."
                )
            )

    # --- validation -------------------------------------------------------------------------

    @staticmethod
    def _clean_email(email: str) -> str:
        email = (email or "").strip().lower()
        try:
            validate_email(email)
        except ValidationError as exc:
            raise CommandError(f"Adresse électronique invalide : « {email} ».") from exc
        return email

    @staticmethod
    def _clean_roles(values: list[str]) -> frozenset[str]:
        if not values:
            raise CommandError(f"Indiquez au moins un rôle avec --role ({', '.join(Role.values)}).")
        roles = set()
        for value in values:
            for role in (v.strip().lower() for v in value.split(",")):
                if role not in Role.values:
                    raise CommandError(
                        f"Rôle inconnu : « {role} ». Rôles possibles : {', '.join(Role.values)}."
                    )
                roles.add(role)
        return frozenset(roles)

    @staticmethod
    def _clean_commune(code: str | None, roles: frozenset[str]) -> Commune | None:
        if Role.PORTEUR not in roles:
            if code:
                raise CommandError(
                    "--commune ne s'applique qu'au rôle porteur (un porteur est rattaché à une seule commune)."
                )
            return None
        if not code:
            raise CommandError("Un porteur doit être rattaché à une commune : indiquez --commune CODE_INSEE.")
        code = code.strip().upper()
        commune = Commune.objects.filter(code=code).first()
        if commune is None:
            raise CommandError(
                f"Commune inconnue : aucun code INSEE « {code} » dans le référentiel "
                "(vérifiez le code ou importez les communes avec « manage.py import_communes »)."
            )
        return commune

    def _password(self, user: User) -> str:
        password = os.environ.get(PASSWORD_ENV)
        if not password:
            try:
                password = getpass.getpass(f"Mot de passe pour {user.email} : ")
                confirmation = getpass.getpass("Confirmez le mot de passe : ")
            except (EOFError, KeyboardInterrupt) as exc:
                raise CommandError(
                    f"Saisie du mot de passe interrompue (ou définissez {PASSWORD_ENV})."
                ) from exc
            if password != confirmation:
                raise CommandError("Les deux mots de passe saisis ne correspondent pas.")
            if not password:
                raise CommandError("Le mot de passe ne peut pas être vide.")
        try:
            validate_password(password, user=user)
        except ValidationError as exc:
            raise CommandError("Mot de passe refusé : " + " ".join(exc.messages)) from exc
        return password

    @staticmethod
    def _audit(user: User, *, creating: bool, before_roles, roles, password_set: bool) -> None:
        from fonds.audit import chain

        chain.append_many(
            [
                {
                    "action": "accounts.user_created" if creating else "accounts.user_updated",
                    "actor_label": "manage.py add_user",
                    "obj": user,
                    "payload": {
                        "email": user.email,
                        "roles_before": sorted(before_roles),
                        "roles": sorted(roles),
                        "commune": user.commune_id or "",
                        "is_staff": user.is_staff,
                        "password_set": password_set,
                    },
                }
            ]
        )
