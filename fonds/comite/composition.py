"""The committee's composition for a campaign: the voting members every session convenes.

By default every account holding the committee role, or those an administrator appoints
(``appoint`` / ``remove``: the campaign row locked, audited). A session's member list follows the
composition until its convocation, then is frozen (``sync_session_members``); a member leaving
takes their proxies and declarations along. Lock order: campaign → session."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from fonds import clock
from fonds.accounts.models import User
from fonds.accounts.roles import Role, has_role
from fonds.audit import chain as audit
from fonds.referentiel.models import Campaign

from .errors import ComiteRefused
from .models import Attendance, CommitteeMember, ConflictDeclaration, Proxy, Session

BY_NAME = ("last_name", "first_name", "email")
AUTOMATIC_RECUSAL = "Instructeur du dossier : déport d'office."


def _campaign_id(campaign) -> int:
    return campaign if isinstance(campaign, int) else campaign.pk


def committee_accounts():
    """Every active account holding the committee role, by name."""

    return User.objects.filter(groups__name=Role.COMITE, is_active=True).distinct().order_by(*BY_NAME)


def _current(campaign):
    return CommitteeMember.objects.filter(campaign_id=_campaign_id(campaign), removed_at__isnull=True)


def appointed(campaign):
    """The campaign's current appointments (``CommitteeMember`` rows not removed), with members."""
    return (
        CommitteeMember.objects.filter(campaign_id=_campaign_id(campaign), removed_at__isnull=True)
        .select_related("member", "appointed_by")
        .order_by("member__last_name", "member__first_name", "member__email")
    )


def is_default(campaign) -> bool:
    """True while no member is appointed: the composition is every committee account."""
    return not _current(campaign).exists()


def composition(campaign) -> list:
    """The voting members of the campaign's committee, by name (see the module docstring)."""
    if is_default(campaign):
        return list(committee_accounts())
    ids = _current(campaign).values("member_id")
    return list(committee_accounts().filter(pk__in=ids))


def composition_ids(campaign) -> set[int]:
    return {u.pk for u in composition(campaign)}


def _require_admin(by, what: str) -> None:
    if by is None or not has_role(by, Role.ADMIN):
        raise ComiteRefused("role", f"Seul un administrateur du fonds peut {what}.")


def lock_campaign(campaign) -> Campaign:
    locked = Campaign.objects.select_for_update().filter(pk=_campaign_id(campaign)).first()
    if locked is None:
        raise ComiteRefused("not_found", "Campagne introuvable.")
    return locked


def appoint(campaign, *, by, members) -> list[CommitteeMember]:
    """An administrator appoints ``members`` (accounts holding the committee role) to the
    campaign's committee. The first appointment ends the default composition: from then on the
    composition is the appointed members only. Planned sessions follow. Audit
    ``comite_composition_appointed``."""
    _require_admin(by, "nommer les membres du comité")
    members = list(dict.fromkeys(members))
    if not members:
        raise ComiteRefused("condition", "Choisissez au moins un membre à nommer.", ["members"])
    not_comite = [u for u in members if not u.is_active or not has_role(u, Role.COMITE)]
    if not_comite:
        raise ComiteRefused(
            "condition",
            "Seuls les comptes actifs ayant le rôle « membre du comité » peuvent être nommés : "
            + ", ".join(u.display_name for u in not_comite)
            + ".",
            ["members"],
        )
    with transaction.atomic():
        locked = lock_campaign(campaign)
        was_default = is_default(locked)
        already = set(appointed(locked).filter(member__in=members).values_list("member_id", flat=True))
        if already:
            names = ", ".join(u.display_name for u in members if u.pk in already)
            raise ComiteRefused("condition", f"Déjà membre(s) de la composition : {names}.", ["members"])
        now = clock.now()
        rows = CommitteeMember.objects.bulk_create(
            [CommitteeMember(campaign=locked, member=u, appointed_by=by, appointed_at=now) for u in members]
        )
        _changed(
            locked,
            "comite_composition_appointed",
            by=by,
            appointed=sorted(u.pk for u in members),
            was_default=was_default,
        )
    return rows


def remove(campaign, *, by, member, motivation: str = "") -> CommitteeMember:
    """An administrator removes an appointed member from the campaign's committee (the row stays,
    with ``removed_at``). Refused for the chair or deputy chair of a planned session. Planned
    sessions follow; convened sessions keep the members they convened. Audit
    ``comite_composition_removed``."""
    _require_admin(by, "retirer un membre du comité")
    motivation = (motivation or "").strip()[:2000]
    with transaction.atomic():
        locked = lock_campaign(campaign)
        row = (
            CommitteeMember.objects.select_for_update()
            .filter(campaign=locked, member_id=getattr(member, "pk", member), removed_at__isnull=True)
            .first()
        )
        if row is None:
            raise ComiteRefused(
                "not_found", "Ce compte n'est pas nommé dans la composition du comité de la campagne."
            )
        row.removed_at, row.removed_by = clock.now(), by
        row.save(update_fields=["removed_at", "removed_by"])
        _changed(
            locked,
            "comite_composition_removed",
            by=by,
            removed=row.member_id,
            motivation=motivation,
            back_to_default=is_default(locked),
        )
    return row


def _changed(campaign, action: str, *, by, **payload) -> None:
    """Audit a change of the composition (with the composition after it); planned sessions follow."""
    after = [u.pk for u in composition(campaign)]
    audit.append(
        action,
        actor=by,
        role=Role.ADMIN,
        obj=campaign,
        payload={"campaign": campaign.pk, **payload, "composition": after},
    )
    _sync_planned(campaign, by=by, reason="composition")


def _sync_planned(campaign, *, by, reason: str) -> None:
    planned = Session.objects.select_for_update().filter(campaign=campaign, status=Session.Status.PLANNED)
    for session in planned.order_by("pk"):
        sync_session_members(session, by=by, reason=reason)


def _when(session) -> str:
    return f"{timezone.localtime(session.starts_at):%d/%m/%Y à %H:%M}"


def sync_session_members(session: Session, *, by, reason: str) -> dict:
    """Set the member list of a session not yet convened (row locked by the caller) to the
    composition; returns ``{"added": [...], "removed": [...]}`` (ids). Audit
    ``comite_session_members_updated`` when the list changes."""

    if session.status != Session.Status.PLANNED:
        raise ComiteRefused("status", "La liste des membres d'une séance est arrêtée à sa convocation.")
    wanted = composition_ids(session.campaign_id)
    presiding = (
        ("préside", session.chair_id),
        ("est président de séance suppléant de", session.deputy_chair_id),
    )
    for role, user_id in presiding:
        if user_id is not None and user_id not in wanted:
            user = User.objects.get(pk=user_id)
            raise ComiteRefused(
                "condition",
                f"{user.display_name} {role} la séance du {_when(session)}, qui n'est pas encore convoquée : "
                "ce membre doit rester dans la composition du comité (pour un suppléant, désignez-en "
                "d'abord un autre).",
                ["composition"],
            )
    current = set(session.members.order_by().values_list("pk", flat=True)) | {session.chair_id}
    added, removed = sorted(wanted - current), sorted(current - wanted)
    if not added and not removed:
        return {"added": [], "removed": []}
    leaving = Q(giver_id__in=removed) | Q(holder_id__in=removed)
    proxies = list(Proxy.objects.filter(session=session).filter(leaving).values_list("giver_id", "holder_id"))
    Proxy.objects.filter(session=session).filter(leaving).delete()
    Attendance.objects.filter(session=session, member_id__in=removed).delete()
    conflicts = ConflictDeclaration.objects.filter(item__session=session, member_id__in=removed)
    conflicts_removed = conflicts.count()
    conflicts.delete()
    session.members.set(sorted(wanted))
    recusals = [
        ConflictDeclaration(
            item=item, member_id=item.dossier.instructor_id, reason=AUTOMATIC_RECUSAL, automatic=True
        )
        for item in session.items.select_related("dossier").filter(dossier__instructor_id__in=added)
    ]
    ConflictDeclaration.objects.bulk_create(recusals)
    audit.append(
        "comite_session_members_updated",
        actor=by,
        obj=session,
        role=Role.ADMIN if by is not None else audit.SYSTEM,
        payload={
            "reason": reason,
            "added": added,
            "removed": removed,
            "members": sorted(wanted),
            "proxies_removed": [list(p) for p in proxies],
            "conflicts_removed": conflicts_removed,
            "automatic_recusals": [c.item_id for c in recusals],
        },
    )
    return {"added": added, "removed": removed}
