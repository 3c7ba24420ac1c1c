"""Who sees which dossier. One place, used by the UI, the API and the services."""
from django.http import Http404

from fonds.accounts.roles import Role, roles_of, sees_all_dossiers

from .models import Dossier


def visible_dossiers(user, queryset=None):
    """Dossiers this user may read. A porteur sees only its commune's; others per role."""
    qs = Dossier.objects.all() if queryset is None else queryset
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if sees_all_dossiers(user):
        return qs
    if Role.PORTEUR in roles_of(user) and user.commune_id:
        return qs.filter(commune_id=user.commune_id)
    return qs.none()


def can_see(user, dossier) -> bool:
    if sees_all_dossiers(user):
        return True
    return Role.PORTEUR in roles_of(user) and user.commune_id is not None and user.commune_id == dossier.commune_id


def get_visible_or_404(user, pk, queryset=None) -> Dossier:
    """A dossier of another commune is "not found" (404), never "forbidden": its existence is not disclosed."""
    try:
        pk = int(pk)
        if not 0 < pk < 2**63:
            raise ValueError(pk)
        return visible_dossiers(user, queryset).get(pk=pk)
    except (Dossier.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("Dossier introuvable.")


def can_create(user) -> bool:
    return Role.PORTEUR in roles_of(user) and user.commune_id is not None


def can_edit(user, dossier) -> bool:
    """Only the porteur of the dossier's commune, and only in draft or when corrections are requested."""
    from .states import EDITABLE_STATUSES

    return (
        Role.PORTEUR in roles_of(user)
        and user.commune_id is not None
        and user.commune_id == dossier.commune_id
        and dossier.status in EDITABLE_STATUSES
    )
