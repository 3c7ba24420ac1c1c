"""Creating a comité session and changing it before it sits: its date, its deputy chair.

Members: the campaign's composition (``fonds.comite.composition``), frozen at the convocation.
A session is created (and moved) at least ``committee.convocation_min_days`` days ahead.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from fonds.dossiers.states import Status

from . import composition as composition_mod
from .dates import convocation_refusal
from .errors import ComiteRefused
from .guards import audit_session, clean_text, lock_session, require_admin, require_status
from .models import AgendaItem, ConflictDeclaration, Session
from .reading import member_ids, person_label, pk_of


def _check_deputy_chair(deputy_chair, *, chair_id: int, members, frozen: bool = False) -> None:
    """The deputy chair (optional) is one of the session's members and not the chair: the
    composition, or the members convened once the list is ``frozen``."""
    if deputy_chair is None:
        return
    if deputy_chair.pk == chair_id:
        raise ComiteRefused(
            "condition",
            "Le président de séance suppléant doit être un autre membre que le président.",
            ["deputy_chair"],
        )
    if deputy_chair.pk not in members:
        where = (
            "convoqués (la liste des membres est arrêtée à la convocation)"
            if frozen
            else "de la composition du comité de la campagne"
        )
        raise ComiteRefused(
            "condition",
            f"Le président de séance suppléant est choisi parmi les membres {where}.",
            ["deputy_chair"],
        )


def _require_convocation_delay(starts_at, campaign) -> None:
    too_soon = convocation_refusal(starts_at, campaign)
    if too_soon:
        raise ComiteRefused("condition", too_soon, ["convocation_min_days"])


def create_session(
    campaign,
    *,
    by,
    starts_at,
    chair,
    place: str = "",
    video_link: str = "",
    follows: Session | None = None,
    deputy_chair=None,
) -> Session:
    """An administrator creates a ``planned`` session convening the campaign's whole composition;
    chair and optional deputy chair are among its members; place or video link required; at
    least ``convocation_min_days`` ahead. With ``follows`` (an adjourned session of the campaign)
    it takes over the undecided agenda and needs no quorum. Audit ``comite_session_created``."""
    require_admin(by, "créer une séance du comité")
    place = clean_text(place, "Lieu", max_length=300)
    video_link = clean_text(video_link, "Lien de visioconférence", max_length=500)
    if not place and not video_link:
        raise ComiteRefused(
            "condition", "Indiquez le lieu de la séance ou le lien de visioconférence.", ["place"]
        )
    if starts_at is None or timezone.is_naive(starts_at):
        raise ComiteRefused("condition", "Indiquez la date et l'heure de la séance.", ["starts_at"])
    if chair is None:
        raise ComiteRefused("condition", "Désignez le président de séance.", ["chair"])
    with transaction.atomic():
        locked_campaign = composition_mod.lock_campaign(campaign)  # serialised with composition changes
        people = {u.pk: u for u in composition_mod.composition(locked_campaign)}
        if not people:
            raise ComiteRefused(
                "condition",
                "La composition du comité de cette campagne est vide : nommez d'abord ses membres.",
                ["composition"],
            )
        if chair.pk not in people:
            raise ComiteRefused(
                "condition",
                f"{person_label(chair)} n'est pas membre de la composition du comité de la campagne : "
                "le président de séance est choisi parmi ses membres.",
                ["chair"],
            )
        _check_deputy_chair(deputy_chair, chair_id=chair.pk, members=people)
        _require_convocation_delay(starts_at, locked_campaign)
        previous = _followed(follows, locked_campaign) if follows is not None else None
        session = Session.objects.create(
            campaign=locked_campaign,
            starts_at=starts_at,
            place=place,
            video_link=video_link,
            chair=chair,
            deputy_chair=deputy_chair,
            created_by=by,
            needs_quorum=previous is None,
            follows=previous,
        )
        session.members.set(sorted(people))
        carried = _carry_over(previous, session, people) if previous is not None else []
        session.rules_version = locked_campaign.rules.version
        session.save(update_fields=["rules_version"])
        audit_session(
            "comite_session_created",
            session,
            by,
            {
                "campaign": session.campaign_id,
                "starts_at": starts_at,
                "place": place,
                "video_link": video_link,
                "chair": chair.pk,
                "deputy_chair": pk_of(deputy_chair),
                "members": sorted(people),
                "composition_default": composition_mod.is_default(locked_campaign),
                "needs_quorum": session.needs_quorum,
                "follows": previous.pk if previous else None,
                "carried_over": carried,
                "rules_version": session.rules_version,
            },
        )
    return session


def _followed(follows, campaign) -> Session:
    """The adjourned session ``follows`` (locked), that a new session of ``campaign`` takes over."""
    previous = lock_session(follows)
    if previous.status != Session.Status.ADJOURNED:
        raise ComiteRefused(
            "status", "Seule une séance ajournée faute de quorum peut être reprise par une nouvelle séance."
        )
    if previous.campaign_id != campaign.pk:
        raise ComiteRefused("condition", "La séance reprise appartient à une autre campagne.")
    if Session.objects.filter(follows=previous).exists():
        raise ComiteRefused("status", "Cette séance ajournée a déjà été reprise.")
    return previous


def _carry_over(previous: Session, session: Session, people) -> list[str]:
    """The undecided agenda of the adjourned ``previous`` session, put on ``session`` (ranks,
    recusals of the members still sitting, the instructor's own); returns the references."""
    carried = []
    old_items = list(previous.items.filter(outcome="").select_related("dossier").order_by("rank"))
    for rank, old in enumerate((i for i in old_items if i.dossier.status == Status.IN_COMMITTEE), start=1):
        new = AgendaItem.objects.create(
            session=session,
            dossier_id=old.dossier_id,
            rank=rank,
            score_total=old.score_total,
            population=old.population,
            proposed_amount=old.proposed_amount,
            amount=old.proposed_amount,
        )
        kept = set()
        for conflict in old.conflicts.filter(member_id__in=people):
            ConflictDeclaration.objects.create(
                item=new, member_id=conflict.member_id, reason=conflict.reason, automatic=conflict.automatic
            )
            kept.add(conflict.member_id)
        instructor = old.dossier.instructor_id
        if instructor in people and instructor not in kept:
            ConflictDeclaration.objects.create(
                item=new,
                member_id=instructor,
                reason="Instructeur du dossier : déport d'office.",
                automatic=True,
            )
        carried.append(old.dossier.reference)
    return carried


def reschedule_session(session: Session, *, by, starts_at) -> Session:
    """An administrator moves a session not yet convened to another date (at least
    ``committee.convocation_min_days`` days ahead). Audit ``comite_session_rescheduled``."""
    require_admin(by, "changer la date d'une séance")
    if starts_at is None or timezone.is_naive(starts_at):
        raise ComiteRefused("condition", "Indiquez la date et l'heure de la séance.", ["starts_at"])
    with transaction.atomic():
        session = lock_session(session)
        require_status(
            session, (Session.Status.PLANNED,), "changer la date de la séance (la convocation est partie)"
        )
        if starts_at == session.starts_at:
            raise ComiteRefused(
                "condition", "Aucun changement : la séance est déjà fixée à cette date.", ["starts_at"]
            )
        _require_convocation_delay(starts_at, session.campaign)
        previous = session.starts_at
        session.starts_at = starts_at
        session.save(update_fields=["starts_at"])
        audit_session(
            "comite_session_rescheduled",
            session,
            by,
            {"from": previous, "to": starts_at},
        )
    return session


def change_deputy_chair(session: Session, *, by, deputy_chair) -> Session:
    """An administrator sets, changes or removes (``None``) the deputy chair of a ``planned`` or
    ``convened`` session (a member, not the chair). A planned session's members are brought up to
    date with the composition; a convened session's are frozen and its convocation is not sent
    again (the payload says so). Audit ``comite_deputy_chair_changed``."""
    require_admin(by, "désigner le président de séance suppléant")
    campaign_id = Session.objects.filter(pk=pk_of(session)).values_list("campaign_id", flat=True).first()
    with transaction.atomic():
        if campaign_id is not None:
            composition_mod.lock_campaign(campaign_id)  # campaign → session, as composition changes
        session = lock_session(session)
        require_status(
            session,
            (Session.Status.PLANNED, Session.Status.CONVENED),
            "changer le président de séance suppléant",
        )
        planned = session.status == Session.Status.PLANNED
        members = composition_mod.composition_ids(session.campaign_id) if planned else member_ids(session)
        _check_deputy_chair(deputy_chair, chair_id=session.chair_id, members=members, frozen=not planned)
        previous = session.deputy_chair
        if pk_of(previous) == pk_of(deputy_chair):
            raise ComiteRefused(
                "condition",
                "Aucun changement : c'est déjà le président de séance suppléant de cette séance."
                if previous
                else "Aucun changement : la séance n'a pas de président de séance suppléant.",
                ["deputy_chair"],
            )
        session.deputy_chair = deputy_chair
        session.save(update_fields=["deputy_chair"])
        if planned:
            composition_mod.sync_session_members(session, by=by, reason="deputy_chair")
        convened = session.status == Session.Status.CONVENED
        note = ""
        if convened and session.convened_at:
            sent = f"{timezone.localtime(session.convened_at):%d/%m/%Y}"
            note = f"Convocation déjà envoyée le {sent} : elle n'est pas renvoyée."
        audit_session(
            "comite_deputy_chair_changed",
            session,
            by,
            {
                "from": pk_of(previous),
                "from_email": previous.email if previous else None,
                "to": pk_of(deputy_chair),
                "to_email": deputy_chair.email if deputy_chair else None,
                "status": session.status,
                "convocation_already_sent": convened,
                "note": note,
            },
        )
    return session
