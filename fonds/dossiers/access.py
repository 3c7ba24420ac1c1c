"""Who sees which dossier. One place, used by the UI, the API and the services."""

from django.http import Http404

from fonds.accounts.roles import Role, roles_of, sees_all_dossiers

from .models import Dossier
from .states import EDITABLE_STATUSES

#: roles that read every dossier whatever their committee recusals: the instructor of a dossier is
#: recused by office on its agenda item, yet instructs it; finance pays it; auditors and
#: administrators read everything
_READ_DESPITE_RECUSAL = frozenset({Role.INSTRUCTEUR, Role.FINANCE, Role.AUDITEUR, Role.ADMIN})


def _committee_only(user) -> bool:
    """A committee member with no other back-office role: their declared conflicts (déport) hide
    the dossiers concerned from every reading path (``visible_dossiers``: pages, history, PDF,
    exports, API — issue 5: a recused member's reading is refused)."""
    roles = roles_of(user)
    return Role.COMITE in roles and not roles & _READ_DESPITE_RECUSAL


def recused_dossiers(user):
    """The ids (a subquery) of the dossiers ``user`` declared a conflict of interest on, in any
    session: never in their committee queue; hidden everywhere when they are ``_committee_only``."""
    if not getattr(user, "is_authenticated", False):
        return Dossier.objects.none().values("pk")
    return Dossier.objects.filter(agenda_items__conflicts__member=user).values("pk")


def visible_dossiers(user, queryset=None):
    """Dossiers this user may read. A porteur sees only its commune's; others per role."""
    qs = Dossier.objects.all() if queryset is None else queryset
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if sees_all_dossiers(user):
        if _committee_only(user):
            return qs.exclude(agenda_items__conflicts__member=user)
        return qs
    if Role.PORTEUR in roles_of(user) and user.commune_id:
        return qs.filter(commune_id=user.commune_id)
    return qs.none()


def can_see(user, dossier) -> bool:
    """May ``user`` act on ``dossier`` (the services' check)? Committee recusals are enforced by the
    committee's own rules there (a recused chair may still defer an item nobody can preside)."""
    if sees_all_dossiers(user):
        return True
    return (
        Role.PORTEUR in roles_of(user)
        and user.commune_id is not None
        and user.commune_id == dossier.commune_id
    )


def dossier_pk_or_404(pk) -> int:
    """``pk`` (from a URL or a form) as a dossier id, or 404."""
    try:
        pk = int(pk)
    except (ValueError, TypeError, OverflowError):
        raise Http404("Dossier introuvable.") from None
    if not 0 < pk < 2**63:
        raise Http404("Dossier introuvable.")
    return pk


def get_visible_or_404(user, pk, queryset=None) -> Dossier:
    """A dossier of another commune is "not found" (404), never "forbidden": its existence is not
    disclosed."""
    try:
        return visible_dossiers(user, queryset).get(pk=dossier_pk_or_404(pk))
    except Dossier.DoesNotExist:
        raise Http404("Dossier introuvable.") from None


def can_create(user) -> bool:
    return Role.PORTEUR in roles_of(user) and user.commune_id is not None


def can_edit(user, dossier) -> bool:
    """Only the porteur of the dossier's commune, and only in draft or when corrections are requested."""
    return (
        Role.PORTEUR in roles_of(user)
        and user.commune_id is not None
        and user.commune_id == dossier.commune_id
        and dossier.status in EDITABLE_STATUSES
    )
