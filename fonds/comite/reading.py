"""Who sits, who presides and who may read a comité item: the rules every page and service asks.

Nothing here is memoised on the objects: a caller that already read the members or the
recusals of an item passes them (``members=``, ``recused=``), else they are read here.
"""

from __future__ import annotations

from django.db import transaction

from fonds.accounts.roles import Role, has_role, roles_of
from fonds.audit import chain as audit

from .errors import ComiteRefused
from .models import AgendaItem, ConflictDeclaration, Session


def pk_of(obj) -> int | None:
    if obj is None:
        return None
    return obj if isinstance(obj, int) else obj.pk


def person_label(user) -> str:
    return user.display_name if user is not None else ""


def member_ids(session: Session) -> set[int]:
    """Ids of the session's members (the chair always is one): one query."""
    return set(session.members.order_by().values_list("pk", flat=True)) | {session.chair_id}


def committee_params(session: Session) -> dict:
    return session.campaign.rules.params["committee"]


def role_in(session: Session, user, *, members: set[int] | None = None) -> str:
    """The audit role of ``user`` in the session (``members``: its member ids, when read)."""
    if user is None:
        return "system"
    if user.pk == session.chair_id:
        return "president"
    if user.pk == session.deputy_chair_id:
        return "president_suppleant"
    if user.pk in (member_ids(session) if members is None else members):
        return Role.COMITE
    if has_role(user, Role.ADMIN):
        return Role.ADMIN
    return next(iter(sorted(roles_of(user))), "")


def item_payload(item: AgendaItem, **extra) -> dict:
    """The start of an item's audit payload: its dossier's reference and its session."""
    return {"reference": item.dossier.reference, "session": item.session_id, **extra}


def audit_presided(action: str, item: AgendaItem, *, by, role: str, payload: dict) -> None:
    """Audit a step of the member presiding over the item (vote, decision): the item's payload with
    the presiding member, then ``payload``."""
    audit.append(
        action, actor=by, role=role, obj=item, payload=item_payload(item, presiding=by.pk, **payload)
    )


def audit_refusal(action: str, *, by, session: Session, obj, payload: dict) -> None:
    """Record a refused attempt in its own transaction (the refusal itself changes nothing)."""
    with transaction.atomic():
        audit.append(action, actor=by, role=role_in(session, by), obj=obj, payload=payload)


def is_member(session: Session, user, *, members: set[int] | None = None) -> bool:
    """The user is one of the session's members (``members``: their ids, when already read)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return user.pk in (member_ids(session) if members is None else members)


def recused_member_ids(item: AgendaItem) -> set[int]:
    """Ids of the members recused on this agenda item (declared conflicts, automatic ones too)."""
    return set(
        ConflictDeclaration.objects.filter(item_id=item.pk).order_by().values_list("member_id", flat=True)
    )


def presiding_for(session: Session, recused: set[int]) -> int | None:
    """Who presides over an item given the ids recused on it: the chair, else the deputy chair
    (président de séance suppléant), else nobody (the item can only be deferred)."""
    if session.chair_id not in recused:
        return session.chair_id
    if session.deputy_chair_id is not None and session.deputy_chair_id not in recused:
        return session.deputy_chair_id
    return None


def presiding_member_id(item: AgendaItem, *, recused: set[int] | None = None) -> int | None:
    """The member presiding over this item: opens and closes its vote, records its outcome, and
    holds the casting vote on a tie. ``recused``: the ids recused on the item, when read."""
    return presiding_for(item.session, recused_member_ids(item) if recused is None else recused)


def presides(item: AgendaItem, user, *, recused: set[int] | None = None) -> bool:
    if user is None or user.pk is None:
        return False
    return user.pk == presiding_member_id(item, recused=recused)


def may_defer_unpresided(item: AgendaItem, user, *, recused: set[int] | None = None) -> bool:
    """Nobody may preside over the item (chair and deputy recused, or no deputy): the chair may
    still defer it to a later session (a procedural decision), else the session could never close."""
    if user is None or user.pk != item.session.chair_id:
        return False
    return presiding_member_id(item, recused=recused) is None


def is_recused(item: AgendaItem, user) -> bool:
    return user is not None and user.pk in recused_member_ids(item)


def can_read_item(
    item: AgendaItem, user, *, recused: set[int] | None = None, members: set[int] | None = None
) -> bool:
    """May ``user`` read this item's deliberation and votes? No audit: for list filtering.
    ``recused`` / ``members``: the ids recused on the item / of the session's members, when read."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.pk in (recused_member_ids(item) if recused is None else recused):
        return False
    return is_member(item.session, user, members=members) or has_role(user, Role.ADMIN, Role.AUDITEUR)


def read_item(item: AgendaItem | int, *, by, members: set[int] | None = None) -> AgendaItem:
    """The item for ``by``: a recused member is refused (``recused``) and the refusal audited
    (``comite_read_refused``); someone neither member, administrator nor auditor gets ``role``.
    An ``AgendaItem`` is used as given, an id is read here. The conflict declarations are read
    afresh with their members and returned on the item as ``declarations``."""
    if isinstance(item, AgendaItem):
        loaded = item
    else:
        loaded = (
            AgendaItem.objects.select_related(
                "session__campaign",
                "session__chair",
                "dossier__commune",
                "dossier__campaign",
                "dossier__instructor",
            )
            .filter(pk=pk_of(item))
            .first()
        )
        if loaded is None:
            raise ComiteRefused("not_found", "Point de l'ordre du jour introuvable.")
    declarations = list(
        ConflictDeclaration.objects.filter(item_id=loaded.pk)
        .select_related("member")
        .only(
            "item_id",
            "member",
            "automatic",
            "declared_at",
            "member__first_name",
            "member__last_name",
            "member__email",
        )
        .order_by("declared_at", "pk")
    )
    recused = {c.member_id for c in declarations}
    if by is not None and by.pk in recused:
        audit_refusal(
            "comite_read_refused",
            by=by,
            session=loaded.session,
            obj=loaded,
            payload={
                "reference": loaded.dossier.reference,
                "session": loaded.session_id,
                "member": by.pk,
                "reason": "recused",
            },
        )
        raise ComiteRefused(
            "recused",
            "Vous vous êtes déporté sur ce dossier (conflit d'intérêts déclaré) : "
            "vous ne pouvez pas consulter sa délibération ni ses votes.",
            ["recusal"],
        )
    if not can_read_item(loaded, by, recused=recused, members=members):
        raise ComiteRefused(
            "role",
            "Seuls les membres de cette séance, les administrateurs et les auditeurs consultent ce dossier.",
        )
    loaded.declarations = declarations
    return loaded
