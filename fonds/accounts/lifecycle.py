"""What an administrator does to an existing account: deactivate, reactivate, change its roles,
reset its second factor. Each change runs in one transaction, with the account's row locked, and
appends one audit event with the account ``before`` and ``after``.

Two guards keep the fund administrable: an administrator never deactivates their own account, and
no change leaves the fund without an active administrator.
"""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction
from django_otp import devices_for_user

from fonds.audit import chain as audit
from fonds.refusals import Refused

from .models import User
from .roles import Role, roles_of


class AccountRefused(Refused):
    """A change of an account that the rules of the fund forbid."""


SELF_DEACTIVATION = (
    "Vous ne pouvez pas désactiver votre propre compte : demandez-le à un autre administrateur."
)
LAST_ADMIN = (
    "Ce compte est le dernier administrateur actif du fonds : nommez d'abord un autre administrateur, "
    "sinon plus personne ne pourrait gérer les comptes et les campagnes."
)
PORTEUR_NEEDS_COMMUNE = "Un porteur de projet agit pour une commune : indiquez la commune du compte."
NO_ROLE = "Choisissez au moins un rôle."


def snapshot(user: User) -> dict:
    """The account as the audit trail records it (JSON-safe)."""
    return {
        "email": user.email,
        "is_active": user.is_active,
        "roles": sorted(roles_of(user)),
        "commune": user.commune_id or "",
        "proconnect_linked": bool(user.proconnect_sub),
    }


def _lock(user: User) -> User:
    """The account's row, locked for the transaction, with fresh roles (no cached ones)."""
    return User.objects.select_for_update().get(pk=user.pk)


def _other_active_admins(user: User) -> int:
    admins = User.objects.select_for_update(of=("self",)).filter(groups__name=Role.ADMIN, is_active=True)
    return len([pk for pk in admins.values_list("pk", flat=True) if pk != user.pk])


def _record(action: str, user: User, by, before: dict, after_extra=None, **extra) -> None:
    """``by``: the administrator, or a label for a command (``"commande reset_two_factor"``)."""
    user.__dict__.pop("_fjj_roles", None)
    payload = {"before": before, "after": {**snapshot(user), **(after_extra or {})}, **extra}
    audit.append(action, actor=by, role=Role.ADMIN, obj=user, payload=payload)


def deactivate(user: User, *, by) -> User:
    """The account can no longer sign in (password or ProConnect); its sessions end with it."""
    if by is not None and by.pk == user.pk:
        raise AccountRefused("conflict", SELF_DEACTIVATION)
    with transaction.atomic():
        user = _lock(user)
        if not user.is_active:
            return user
        before = snapshot(user)
        if Role.ADMIN in roles_of(user) and not _other_active_admins(user):
            raise AccountRefused("conflict", LAST_ADMIN)
        user.is_active = False
        user.save(update_fields=["is_active"])
        _record("account_deactivated", user, by, before)
    return user


def reactivate(user: User, *, by) -> User:
    with transaction.atomic():
        user = _lock(user)
        if user.is_active:
            return user
        before = snapshot(user)
        user.is_active = True
        user.save(update_fields=["is_active"])
        _record("account_reactivated", user, by, before)
    return user


def set_roles(user: User, roles, *, by, commune=None) -> User:
    """Replace the account's roles (``Role`` codes); a porteur needs its commune (``commune``, or
    the one the account has)."""
    wanted = sorted(set(roles) & set(Role.values))
    if not wanted:
        raise AccountRefused("condition", NO_ROLE)
    with transaction.atomic():
        user = _lock(user)
        before = snapshot(user)
        commune_id = commune.pk if commune is not None else user.commune_id
        if Role.PORTEUR in wanted and not commune_id:
            raise AccountRefused("condition", PORTEUR_NEEDS_COMMUNE)
        if Role.ADMIN in before["roles"] and Role.ADMIN not in wanted and not _other_active_admins(user):
            raise AccountRefused("conflict", LAST_ADMIN)
        if wanted == before["roles"] and commune_id == user.commune_id:
            return user
        user.groups.set([Group.objects.get_or_create(name=name)[0] for name in wanted])
        if commune_id != user.commune_id:
            user.commune_id = commune_id
            user.save(update_fields=["commune"])
        _record("account_roles_changed", user, by, before)
    return user


def unlink_proconnect(user: User, *, by) -> User:
    """Forget the account's ProConnect identity (``sub``): the next ProConnect sign-in links again
    by verified email. For an identity linked by mistake or replaced at the provider."""
    with transaction.atomic():
        user = _lock(user)
        if not user.proconnect_sub:
            return user
        before = {**snapshot(user), "proconnect_sub": user.proconnect_sub}
        user.proconnect_sub = None
        user.save(update_fields=["proconnect_sub"])
        _record("proconnect_unlinked", user, by, before, {"proconnect_sub": None})
    return user


def reset_second_factor(user: User, *, by, motivation: str = "") -> int:
    """Delete the account's django-otp devices (authenticator app, ProConnect's stand-in): its
    verified sessions lose their second factor and the next sign-in enrols a new application.
    Returns the number of devices removed."""
    with transaction.atomic():
        user = _lock(user)
        devices = list(devices_for_user(user, confirmed=None))
        before = {**snapshot(user), "devices": len(devices)}
        for device in devices:
            device.delete()
        extra = {"devices_removed": len(devices), "email": user.email}
        if motivation.strip():
            extra["motivation"] = motivation.strip()
        _record("two_factor_reset", user, by, before, {"devices": 0}, **extra)
    return len(devices)
