"""The fund's roles (règlement, "Actors"). A role is a Django group of the same code name."""

from django.db import models


class Role(models.TextChoices):
    PORTEUR = "porteur", "Porteur de projet (commune)"
    INSTRUCTEUR = "instructeur", "Instructeur"
    COMITE = "comite", "Membre du comité"
    FINANCE = "finance", "Gestionnaire financier"
    AUDITEUR = "auditeur", "Auditeur"
    ADMIN = "admin", "Administrateur"
    #: an outside expert asked for an opinion (avis): reads only the dossiers they are invited on
    EXPERT = "expert", "Expert (avis)"


#: roles whose holders see every dossier of every commune
ALL_DOSSIERS_ROLES = frozenset({Role.INSTRUCTEUR, Role.COMITE, Role.FINANCE, Role.AUDITEUR, Role.ADMIN})


def roles_of(user) -> frozenset[str]:
    """The role codes a user holds (cached on the user object for the request)."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_fjj_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True)) & frozenset(Role.values)
        user._fjj_roles = cached
    return cached


def has_role(user, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def sees_all_dossiers(user) -> bool:
    return bool(roles_of(user) & ALL_DOSSIERS_ROLES)


def is_expert_only(user) -> bool:
    """An outside expert with no other role: sees only the avis requests addressed to them."""
    return roles_of(user) == {Role.EXPERT}


def is_read_only(user) -> bool:
    """An auditor who holds no other role may read everything and change nothing."""
    roles = roles_of(user)
    return roles == {Role.AUDITEUR}
