"""Proxies (one member votes for an absent one) and conflict declarations (a member recused on
a dossier), recorded before the item's vote."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from fonds import clock
from fonds.accounts.roles import Role, has_role
from fonds.audit import chain as audit

from .counting import presence_by_member
from .errors import ComiteRefused
from .guards import OPEN_STATUSES, clean_text, lock_item, lock_session, require_status
from .models import AgendaItem, Attendance, ConflictDeclaration, Proxy, Session, Vote
from .reading import committee_params, item_payload, member_ids, person_label, role_in


def give_proxy(session: Session, *, giver, holder, by=None) -> Proxy:
    """``giver`` gives a proxy to ``holder``, both members (``by``: the giver, the chair or an
    administrator). One proxy given, at most ``committee.max_proxies_per_member`` held, no chain;
    before the session ends. Audit ``comite_proxy_given``."""
    by = by or giver
    with transaction.atomic():
        session = lock_session(session)
        if by.pk != giver.pk and by.pk != session.chair_id and not has_role(by, Role.ADMIN):
            raise ComiteRefused(
                "role",
                "Seul le membre lui-même, le président ou un administrateur enregistre une procuration.",
            )
        require_status(session, OPEN_STATUSES, "donner procuration")
        members = member_ids(session)
        if giver.pk not in members or holder.pk not in members:
            raise ComiteRefused(
                "condition", "La procuration se donne entre membres de la séance.", ["proxy_members"]
            )
        if giver.pk == holder.pk:
            raise ComiteRefused(
                "condition", "On ne peut pas se donner procuration à soi-même.", ["proxy_self"]
            )
        proxies = list(Proxy.objects.filter(session=session))
        if any(p.giver_id == giver.pk for p in proxies):
            raise ComiteRefused(
                "condition",
                f"{person_label(giver)} a déjà donné procuration pour cette séance : une seule procuration "
                "par membre.",
                ["proxy_given"],
            )
        held = sum(1 for p in proxies if p.holder_id == holder.pk)
        limit = int(committee_params(session).get("max_proxies_per_member", 1))
        if held >= limit:
            raise ComiteRefused(
                "condition",
                f"{person_label(holder)} détient déjà {held} procuration(s) : le règlement en autorise "
                f"{limit} au plus par membre.",
                ["proxy_held"],
            )
        if any(p.giver_id == holder.pk for p in proxies):
            raise ComiteRefused(
                "condition",
                f"{person_label(holder)} a lui-même donné procuration : il ne peut pas en recevoir.",
                ["proxy_chain"],
            )
        if any(p.holder_id == giver.pk for p in proxies):
            raise ComiteRefused(
                "condition",
                f"{person_label(giver)} détient une procuration : il ne peut pas en donner une à son tour.",
                ["proxy_chain"],
            )
        if presence_by_member(session).get(giver.pk) == Attendance.Presence.PRESENT:
            raise ComiteRefused(
                "condition",
                f"{person_label(giver)} est noté présent : modifiez l'émargement avant d'enregistrer sa "
                "procuration.",
                ["proxy_present"],
            )
        try:
            with transaction.atomic():
                proxy = Proxy.objects.create(session=session, giver=giver, holder=holder)
        except IntegrityError as exc:
            raise ComiteRefused(
                "condition",
                "Procuration refusée : une seule procuration donnée et une seule détenue par membre.",
                ["proxy_held"],
            ) from exc
        audit.append(
            "comite_proxy_given",
            actor=by,
            role=role_in(session, by, members=members),
            obj=session,
            payload={"proxy": proxy.pk, "giver": giver.pk, "holder": holder.pk},
        )
    return proxy


def revoke_proxy(session: Session, *, giver, by=None) -> None:
    """Withdraw the proxy ``giver`` gave (refused once a vote was cast with it). Audit
    ``comite_proxy_revoked``."""
    by = by or giver
    with transaction.atomic():
        session = lock_session(session)
        if by.pk != giver.pk and by.pk != session.chair_id and not has_role(by, Role.ADMIN):
            raise ComiteRefused(
                "role", "Seul le membre lui-même, le président ou un administrateur retire une procuration."
            )
        require_status(session, OPEN_STATUSES, "retirer la procuration")
        proxy = Proxy.objects.filter(session=session, giver=giver).first()
        if proxy is None:
            raise ComiteRefused("not_found", "Aucune procuration donnée par ce membre pour cette séance.")
        if Vote.objects.filter(item__session=session, cast_for=giver).exists():
            raise ComiteRefused(
                "condition",
                "Un vote a déjà été exprimé avec cette procuration : elle ne peut plus être retirée.",
            )
        proxy.delete()
        if presence_by_member(session).get(giver.pk) == Attendance.Presence.REPRESENTED:
            Attendance.objects.filter(session=session, member=giver).update(
                presence=Attendance.Presence.ABSENT, recorded_at=clock.now()
            )
        audit.append(
            "comite_proxy_revoked",
            actor=by,
            role=role_in(session, by),
            obj=session,
            payload={"giver": giver.pk, "holder": proxy.holder_id},
        )


def declare_conflict(item: AgendaItem, *, member, reason: str, by=None) -> ConflictDeclaration:
    """``member`` declares a link with the item's dossier (``reason`` required): they are recused
    on it. Refused once the item's vote is open. Declaring twice returns the first declaration.
    Audit ``comite_conflict_declared``."""
    by = by or member
    reason = clean_text(reason, "Lien déclaré", max_length=2000)
    with transaction.atomic():
        item = lock_item(item)
        session = item.session
        if by.pk != member.pk and not has_role(by, Role.ADMIN):
            raise ComiteRefused(
                "role", "Chaque membre déclare lui-même ses liens d'intérêts (ou un administrateur pour lui)."
            )
        members = member_ids(session)
        if member.pk not in members:
            raise ComiteRefused("condition", "Seul un membre de la séance déclare un conflit d'intérêts.")
        require_status(session, OPEN_STATUSES, "déclarer un conflit d'intérêts")
        existing = ConflictDeclaration.objects.filter(item=item, member=member).first()
        if existing is not None:
            return existing
        if not reason:
            raise ComiteRefused(
                "condition",
                "Décrivez le lien avec ce dossier (par exemple : élu de la commune ou de son "
                "intercommunalité).",
                ["reason"],
            )
        if item.vote_state != AgendaItem.VoteState.PENDING:
            raise ComiteRefused(
                "status", "Le vote sur ce dossier est déjà ouvert : la déclaration devait précéder le vote."
            )
        declaration = ConflictDeclaration.objects.create(item=item, member=member, reason=reason)
        audit.append(
            "comite_conflict_declared",
            actor=by,
            role=role_in(session, by, members=members),
            obj=item,
            payload=item_payload(item, member=member.pk, reason=reason),
        )
    return declaration
