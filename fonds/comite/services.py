"""The comité's state changes — each one function, one ``transaction.atomic()``, row locks
(``select_for_update``) and its audit event (``fonds.audit.chain.append``) in that transaction.

Refusals raise ``ComiteRefused(kind, message)`` with a French message (``kind``: ``status`` 409,
``too_early`` 409, ``role`` 403, ``condition`` 400, ``recused`` 403, ``not_found`` 404). Refusals
the règlement wants on record (a recused member trying to vote or to read) are audited in their own transaction
before the exception is raised.

Dossier statuses change only through ``fonds.dossiers.services.perform``: ``schedule`` when the
agenda is built, ``approve`` / ``waitlist`` / ``reject`` / ``defer`` when the chair records the
outcome (the envelope decides between approve and waitlist: ``fonds.comite.envelope``).

Dates cannot lie: a session is created and convened at least ``committee.convocation_min_days``
days before it sits (refused otherwise); it opens — and its attendance and adjournment are
recorded — no earlier than ``committee.open_tolerance_minutes`` before its scheduled start
(``opens_from``); its minutes and letters carry the day it sat (``opened_at``, Paris time).
Members: the campaign's composition (``fonds.comite.composition``), frozen at the convocation.
Amounts: every amount the committee sets (an amended motion, the decision) lies within
``fonds.instruction.amount.award_bounds``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Sum
from django.utils import timezone

from fonds import clock
from fonds.accounts.roles import Role, has_role, roles_of
from fonds.audit import chain as audit
from fonds.dossiers.models import Dossier
from fonds.dossiers.services import TransitionRefused, perform, perform_many
from fonds.dossiers.states import Forum, Status
from fonds.formats import parse_amount as read_amount
from fonds.instruction.amount import award_bounds, award_refusal
from fonds.ops import outbox
from fonds.referentiel.rules import setting

from . import composition as composition_mod
from .errors import ComiteRefused
from .models import AgendaItem, Attendance, ConflictDeclaration, Proxy, Session, Vote
from .quorum import QuorumResult, TallyResult
from .quorum import quorum as quorum_fn
from .quorum import tally as tally_fn


@dataclass
class ConvocationResult:
    session: Session
    recipients: list[str]  # member emails a convocation is queued for
    days_before: int


# ---- internals -------------------------------------------------------------------------------

_OPEN_STATUSES = (Session.Status.PLANNED, Session.Status.CONVENED, Session.Status.SITTING)


def _pk(obj) -> int | None:
    if obj is None:
        return None
    return obj if isinstance(obj, int) else obj.pk


def _label(user) -> str:
    if user is None:
        return ""
    full = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return full or user.email


def _member_ids(session: Session) -> set[int]:
    cached = getattr(session, "_member_ids", None)
    if cached is None:
        cached = set(session.members.order_by().values_list("pk", flat=True)) | {session.chair_id}
        session._member_ids = cached
    return cached


def _params(session: Session) -> dict:
    return session.campaign.rules.params["committee"]


def _role(session: Session, user) -> str:
    if user is None:
        return "system"
    if user.pk == session.chair_id:
        return "president"
    if user.pk == session.deputy_chair_id:
        return "president_suppleant"
    if user.pk in _member_ids(session):
        return Role.COMITE
    if has_role(user, Role.ADMIN):
        return Role.ADMIN
    return next(iter(sorted(roles_of(user))), "")


def _lock_session(session) -> Session:
    locked = Session.objects.select_for_update().filter(pk=_pk(session)).first()
    if locked is None:
        raise ComiteRefused("not_found", "Séance introuvable.")
    return locked


def _lock_item(item) -> AgendaItem:
    """Lock the item row and its session's row (a change on an item is serialised with the
    session's own changes: closing, adjourning, another item's decision), reading the session
    (campaign, chair) and the dossier (commune, campaign) in the same query."""
    locked = (
        AgendaItem.objects.select_for_update(of=("self", "session"))
        .select_related("session__campaign", "session__chair", "dossier__commune", "dossier__campaign")
        .filter(pk=_pk(item))
        .order_by()
        .first()
    )
    if locked is None:
        raise ComiteRefused("not_found", "Point de l'ordre du jour introuvable.")
    return locked


def _require_admin(by, what: str) -> None:
    if by is None or not has_role(by, Role.ADMIN):
        raise ComiteRefused("role", f"Seul un administrateur du fonds peut {what}.")


def _require_chair(session: Session, by, what: str) -> None:
    """Session-level steps (open the sitting, attendance, adjourn, close): the chair only."""
    if by is None or by.pk != session.chair_id:
        raise ComiteRefused("role", f"Seul le président de séance peut {what}.")


def _require_presiding(item: AgendaItem, by, what: str) -> str:
    """Item-level steps (open / close the vote, decide): the member presiding over the item (the
    chair, or the deputy chair when the chair is recused on it). Returns the audit role."""
    session = item.session
    presiding = presiding_member_id(item)
    if presiding is None:
        raise ComiteRefused("recused", _no_presiding_message(item), ["recusal"])
    if by is None or by.pk != presiding:
        if by is not None and by.pk == session.chair_id:
            raise ComiteRefused(
                "recused",
                f"Le président est déporté sur le dossier {item.dossier.reference} : le président de séance suppléant préside ce point et peut seul {what}.",
                ["recusal"],
            )
        if presiding == session.deputy_chair_id:
            raise ComiteRefused(
                "role",
                f"Le président étant déporté sur ce dossier, seul le président de séance suppléant peut {what}.",
            )
        raise ComiteRefused("role", f"Seul le président de séance peut {what}.")
    return "president" if presiding == session.chair_id else "president_suppleant"


def _no_presiding_message(item: AgendaItem) -> str:
    session = item.session
    if session.deputy_chair_id is None:
        who = "Le président est déporté sur ce dossier et la séance n'a pas de président de séance suppléant"
    else:
        who = "Le président et le président de séance suppléant sont tous deux déportés sur ce dossier"
    return f"{who} : personne ne peut en présider la délibération. Ajournez l'examen du dossier (décision « ajourner ») : il reviendra à une prochaine séance."


def _de(what: str) -> str:
    """« de » before ``what``, elided before a vowel (« d'ouvrir »)."""
    return f"d'{what}" if what[:1].lower() in "aeéèêiîoôu" else f"de {what}"


def _require_status(session: Session, allowed, what: str) -> None:
    if session.status not in allowed:
        raise ComiteRefused(
            "status", f"Impossible {_de(what)} : la séance est « {session.get_status_display().lower()} »."
        )


def _check_deputy_chair(deputy_chair, *, chair_id: int, member_ids, frozen: bool = False) -> None:
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
    if deputy_chair.pk not in member_ids:
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


def _local(moment) -> str:
    return f"{timezone.localtime(moment):%d/%m/%Y à %H:%M}"


def min_days(session_or_campaign) -> int:
    """``committee.convocation_min_days`` of the campaign's current rules."""
    campaign = getattr(session_or_campaign, "campaign", session_or_campaign)
    return int(setting(campaign.rules.params, "committee", "convocation_min_days"))


def convocation_refusal(starts_at, campaign, *, now=None) -> str:
    """Why a session starting at ``starts_at`` cannot be convened now (French), or "": the
    convocation leaves at least ``committee.convocation_min_days`` days before the sitting."""
    now = now or clock.now()
    days = min_days(campaign)
    delta = starts_at - now
    if delta.total_seconds() <= 0:
        return f"La date de la séance ({_local(starts_at)}) est passée : choisissez une nouvelle date."
    if delta < dt.timedelta(days=days):
        return (
            f"La séance du {_local(starts_at)} a lieu dans moins de {days} jours : le règlement demande une convocation "
            f"au moins {days} jours avant la séance. Choisissez une date à partir du {_local(now + dt.timedelta(days=days))}."
        )
    return ""


def opens_from(session: Session):
    """The earliest moment the session may be opened (and its attendance or adjournment
    recorded): its scheduled start minus ``committee.open_tolerance_minutes``."""
    minutes = int(setting(session.campaign.rules.params, "committee", "open_tolerance_minutes"))
    return session.starts_at - dt.timedelta(minutes=minutes)


def _require_sitting_time(session: Session, what: str) -> None:
    """Refuse (409 ``too_early``) before ``opens_from(session)``: a sitting happens on its date."""
    earliest = opens_from(session)
    if clock.now() < earliest:
        raise ComiteRefused(
            "too_early",
            f"Trop tôt pour {what} : la séance est convoquée pour le {_local(session.starts_at)} "
            f"et peut être ouverte à partir du {_local(earliest)}.",
            ["starts_at"],
        )


def _check_amount(item: AgendaItem, amount: Decimal, what: str) -> None:
    """``amount`` lies within the award bounds of the item's dossier (1,000–15,000 € and the
    formula's caps, under the campaign's current rules), else ``ComiteRefused`` (400)."""
    bounds = award_bounds(item.dossier, item.session.campaign.rules.params)
    refusal = award_refusal(amount, bounds)
    if refusal:
        raise ComiteRefused("condition", f"{what} : {refusal[:1].lower()}{refusal[1:]}", ["amount"])


def _text(value, name: str, *, max_length: int = 5000) -> str:
    text = (value or "").strip()
    if len(text) > max_length:
        raise ComiteRefused("condition", f"{name} : {max_length} caractères au plus.")
    return text


def _money(value, name: str) -> Decimal:
    try:
        amount = read_amount(value)
    except (InvalidOperation, ValueError):
        raise ComiteRefused("condition", f"{name} : montant invalide.")
    if not amount.is_finite() or amount < 0 or amount.as_tuple().exponent < -2:
        raise ComiteRefused("condition", f"{name} : montant positif avec au plus deux décimales attendu.")
    return amount.quantize(Decimal("0.01"))


def _audit_refusal(action: str, *, by, session: Session, obj, payload: dict) -> None:
    """Record a refused attempt in its own transaction (the refusal itself changes nothing)."""
    with transaction.atomic():
        audit.append(action, actor=by, role=_role(session, by), obj=obj, payload=payload)


def _from_transition(exc: TransitionRefused) -> ComiteRefused:
    return ComiteRefused(
        exc.kind if exc.kind in ComiteRefused.HTTP else "condition", exc.message, list(exc.rules)
    )


# ---- reading ---------------------------------------------------------------------------------


def is_member(session: Session, user) -> bool:
    """The user is one of the session's members (the chair is always a member)."""
    return user is not None and getattr(user, "is_authenticated", False) and user.pk in _member_ids(session)


def recused_member_ids(item: AgendaItem) -> set[int]:
    """Ids of the members recused on this agenda item (declared conflicts, incl. automatic ones).
    A page that read the conflicts of a whole session in one query sets ``item._recused_ids``."""
    cached = getattr(item, "_recused_ids", None)
    if cached is not None:
        return set(cached)
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


def presiding_member_id(item: AgendaItem) -> int | None:
    """The member presiding over this item: opens and closes its vote, records its outcome, and
    holds the casting vote on a tie."""
    return presiding_for(item.session, recused_member_ids(item))


def presides(item: AgendaItem, user) -> bool:
    return user is not None and user.pk is not None and user.pk == presiding_member_id(item)


def may_defer_unpresided(item: AgendaItem, user) -> bool:
    """Nobody may preside over the item (chair and deputy recused, or no deputy): the chair may
    still defer it to a later session (a procedural decision, no deliberation), else the session
    could never close."""
    return user is not None and user.pk == item.session.chair_id and presiding_member_id(item) is None


def is_recused(item: AgendaItem, user) -> bool:
    return user is not None and user.pk in recused_member_ids(item)


def can_read_item(item: AgendaItem, user, *, recused: set[int] | None = None) -> bool:
    """May ``user`` read this item's deliberation and votes? No audit: for list filtering.
    ``recused``: the ids recused on the item, when the caller just read them."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.pk in (recused_member_ids(item) if recused is None else recused):
        return False
    return is_member(item.session, user) or has_role(user, Role.ADMIN, Role.AUDITEUR)


def read_item(item: AgendaItem | int, *, by) -> AgendaItem:
    """The item (dossier summary, grid, opinion, proposed amount, votes) for ``by``; a recused
    member is refused (``ComiteRefused("recused")``) and the refusal is audited
    (``comite_read_refused``); someone neither member, administrator nor auditor gets ``role``.

    An ``AgendaItem`` already read is used as it is (the pages read it with its session and
    dossier); an id is read here. The item's conflict declarations are read afresh, once, with
    their members, and returned on the item as ``declarations`` (the page lists them)."""
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
            .filter(pk=_pk(item))
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
        _audit_refusal(
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
            "Vous vous êtes déporté sur ce dossier (conflit d'intérêts déclaré) : vous ne pouvez pas consulter sa délibération ni ses votes.",
            ["recusal"],
        )
    if not can_read_item(loaded, by, recused=recused):
        raise ComiteRefused(
            "role",
            "Seuls les membres de cette séance, les administrateurs et les auditeurs consultent ce dossier.",
        )
    loaded.declarations = declarations
    return loaded


def member_agenda(session: Session, user) -> list[tuple[AgendaItem, bool]]:
    """The session's items in rank order with ``recused`` for ``user`` (the UI hides the
    deliberation of the recused ones)."""
    items = list(session.items.select_related("dossier__commune").order_by("rank"))
    recused = set()
    if user is not None:
        recused = set(
            ConflictDeclaration.objects.filter(item__session=session, member_id=user.pk)
            .order_by()
            .values_list("item_id", flat=True)
        )
    return [(item, item.pk in recused) for item in items]


def _presence(session: Session) -> dict[int, str]:
    return dict(
        Attendance.objects.filter(session_id=session.pk).order_by().values_list("member_id", "presence")
    )


def _proxies(session: Session) -> dict[int, int]:
    return dict(Proxy.objects.filter(session_id=session.pk).order_by().values_list("giver_id", "holder_id"))


def _quorum_for(
    session: Session, recused: set[int], presence: dict | None = None, proxies: dict | None = None
) -> QuorumResult:
    presence = _presence(session) if presence is None else presence
    proxies = _proxies(session) if proxies is None else proxies
    return quorum_fn(
        _member_ids(session),
        [m for m, p in presence.items() if p == Attendance.Presence.PRESENT],
        {g: h for g, h in proxies.items() if presence.get(g) != Attendance.Presence.ABSENT},
        recused,
        fraction=_params(session).get("quorum_fraction", "0.5"),
        needs_quorum=session.needs_quorum,
    )


def quorums_for(
    session: Session,
    *,
    recused: dict[int, set[int]] | None = None,
    presence: dict | None = None,
    proxies: dict | None = None,
    item_ids=None,
) -> dict[int, QuorumResult]:
    """``{item pk: quorum}`` for every item of the session (after each item's recusals) in at
    most five queries, none for what the caller already read: ``recused`` ``{item pk: member
    ids}``, ``presence`` ``{member id: presence}``, ``proxies`` ``{giver id: holder id}``,
    ``item_ids``."""
    if recused is None:
        recused = {}
        for item_id, member_id in (
            ConflictDeclaration.objects.filter(item__session_id=session.pk)
            .order_by()
            .values_list("item_id", "member_id")
        ):
            recused.setdefault(item_id, set()).add(member_id)
    presence = _presence(session) if presence is None else presence
    proxies = _proxies(session) if proxies is None else proxies
    if item_ids is None:
        item_ids = list(session.items.order_by().values_list("pk", flat=True))
    return {pk: _quorum_for(session, recused.get(pk, set()), presence, proxies) for pk in item_ids}


def item_quorum(
    item: AgendaItem, *, presence: dict | None = None, proxies: dict | None = None
) -> QuorumResult:
    """Quorum of this item now (after recusals; attendance and proxies as recorded, or as the
    caller already read them). A member marked *absent* does not count even when a proxy was
    given (mark them *represented*)."""
    return _quorum_for(item.session, recused_member_ids(item), presence, proxies)


def session_quorum(session: Session) -> QuorumResult:
    """Quorum of the session as a whole (no recusal): used to adjourn."""
    return _quorum_for(session, set())


def current_tally(item: AgendaItem, rows: list[tuple[int, str]] | None = None) -> TallyResult:
    """Tally of the item's votes as cast so far (the presiding member's own vote — the chair's,
    or the deputy chair's when the chair is recused — is the casting vote). ``rows``: the
    ``(elector id, choice)`` of every vote of the item, when the caller already read them."""
    if rows is None:
        rows = list(Vote.objects.filter(item_id=item.pk).order_by().values_list("elector_id", "choice"))
    chair = presiding_member_id(item)
    chair_choice = next((c for e, c in rows if e == chair), None)
    return tally_fn([c for _, c in rows], chair_choice)


# ---- preparing the session ---------------------------------------------------------------------


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
    """An administrator creates a session (status ``planned``) that convenes the whole composition
    of the campaign's committee (``fonds.comite.composition``: no member is picked by hand; the
    list follows the composition until the convocation, then it is frozen). The chair and the
    optional deputy chair (président de séance suppléant, who presides over the items on which
    the chair is recused) are members of the composition. Place or video link required. The
    sitting is at least ``committee.convocation_min_days`` days ahead (the convocation must
    leave that long before). With ``follows`` (an *adjourned* session of the same campaign) the
    new session takes over its undecided agenda (ranks, recusals of members still sitting) and
    needs no quorum. Audit ``comite_session_created``."""
    _require_admin(by, "créer une séance du comité")
    place = _text(place, "Lieu", max_length=300)
    video_link = _text(video_link, "Lien de visioconférence", max_length=500)
    if not place and not video_link:
        raise ComiteRefused(
            "condition", "Indiquez le lieu de la séance ou le lien de visioconférence.", ["place"]
        )
    if starts_at is None or timezone.is_naive(starts_at):
        raise ComiteRefused("condition", "Indiquez la date et l'heure de la séance.", ["starts_at"])
    if chair is None:
        raise ComiteRefused("condition", "Désignez le président de séance.", ["chair"])
    with transaction.atomic():
        locked_campaign = composition_mod._lock_campaign(campaign)  # serialised with composition changes
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
                f"{_label(chair)} n'est pas membre de la composition du comité de la campagne : le président de séance est choisi parmi ses membres.",
                ["chair"],
            )
        _check_deputy_chair(deputy_chair, chair_id=chair.pk, member_ids=people)
        too_soon = convocation_refusal(starts_at, locked_campaign)
        if too_soon:
            raise ComiteRefused("condition", too_soon, ["convocation_min_days"])
        previous = None
        if follows is not None:
            previous = _lock_session(follows)
            if previous.status != Session.Status.ADJOURNED:
                raise ComiteRefused(
                    "status",
                    "Seule une séance ajournée faute de quorum peut être reprise par une nouvelle séance.",
                )
            if previous.campaign_id != locked_campaign.pk:
                raise ComiteRefused("condition", "La séance reprise appartient à une autre campagne.")
            if Session.objects.filter(follows=previous).exists():
                raise ComiteRefused("status", "Cette séance ajournée a déjà été reprise.")
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
        carried = []
        if previous is not None:
            old_items = list(previous.items.filter(outcome="").select_related("dossier").order_by("rank"))
            for rank, old in enumerate(
                (i for i in old_items if i.dossier.status == Status.IN_COMMITTEE), start=1
            ):
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
                        item=new,
                        member_id=conflict.member_id,
                        reason=conflict.reason,
                        automatic=conflict.automatic,
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
        session.rules_version = locked_campaign.rules.version
        session.save(update_fields=["rules_version"])
        audit.append(
            "comite_session_created",
            actor=by,
            role=Role.ADMIN,
            obj=session,
            payload={
                "campaign": session.campaign_id,
                "starts_at": starts_at,
                "place": place,
                "video_link": video_link,
                "chair": chair.pk,
                "deputy_chair": _pk(deputy_chair),
                "members": sorted(people),
                "composition_default": composition_mod.is_default(locked_campaign),
                "needs_quorum": session.needs_quorum,
                "follows": previous.pk if previous else None,
                "carried_over": carried,
                "rules_version": session.rules_version,
            },
        )
    return session


def reschedule_session(session: Session, *, by, starts_at) -> Session:
    """An administrator moves a session not yet convened to another date (at least
    ``committee.convocation_min_days`` days ahead). Audit ``comite_session_rescheduled``."""
    _require_admin(by, "changer la date d'une séance")
    if starts_at is None or timezone.is_naive(starts_at):
        raise ComiteRefused("condition", "Indiquez la date et l'heure de la séance.", ["starts_at"])
    with transaction.atomic():
        session = _lock_session(session)
        _require_status(
            session, (Session.Status.PLANNED,), "changer la date de la séance (la convocation est partie)"
        )
        if starts_at == session.starts_at:
            raise ComiteRefused(
                "condition", "Aucun changement : la séance est déjà fixée à cette date.", ["starts_at"]
            )
        too_soon = convocation_refusal(starts_at, session.campaign)
        if too_soon:
            raise ComiteRefused("condition", too_soon, ["convocation_min_days"])
        previous = session.starts_at
        session.starts_at = starts_at
        session.save(update_fields=["starts_at"])
        audit.append(
            "comite_session_rescheduled",
            actor=by,
            role=Role.ADMIN,
            obj=session,
            payload={"from": previous, "to": starts_at},
        )
    return session


def change_deputy_chair(session: Session, *, by, deputy_chair) -> Session:
    """An administrator sets, changes or removes (``deputy_chair=None``) the deputy chair of a
    session before it sits (``planned`` or ``convened``), with the rules of ``create_session``
    (a member of the session, not the chair). One transaction, audit
    ``comite_deputy_chair_changed`` (from / to: user id and email). A planned session's members
    follow the composition (the deputy is one of it; the list is brought up to date); a convened
    session's are frozen (the deputy is one of them) and its convocation is not sent again: the
    payload notes it was already sent."""
    _require_admin(by, "désigner le président de séance suppléant")
    campaign_id = Session.objects.filter(pk=_pk(session)).values_list("campaign_id", flat=True).first()
    with transaction.atomic():
        if campaign_id is not None:
            composition_mod._lock_campaign(campaign_id)  # campaign → session, as composition changes
        session = _lock_session(session)
        _require_status(
            session,
            (Session.Status.PLANNED, Session.Status.CONVENED),
            "changer le président de séance suppléant",
        )
        planned = session.status == Session.Status.PLANNED
        members = composition_mod.composition_ids(session.campaign_id) if planned else _member_ids(session)
        _check_deputy_chair(deputy_chair, chair_id=session.chair_id, member_ids=members, frozen=not planned)
        previous = session.deputy_chair
        if _pk(previous) == _pk(deputy_chair):
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
        audit.append(
            "comite_deputy_chair_changed",
            actor=by,
            role=Role.ADMIN,
            obj=session,
            payload={
                "from": _pk(previous),
                "from_email": previous.email if previous else None,
                "to": _pk(deputy_chair),
                "to_email": deputy_chair.email if deputy_chair else None,
                "status": session.status,
                "convocation_already_sent": convened,
                "note": f"Convocation déjà envoyée le {timezone.localtime(session.convened_at):%d/%m/%Y} : elle n'est pas renvoyée."
                if convened and session.convened_at
                else "",
            },
        )
    return session


def build_agenda(session: Session, *, by) -> list[AgendaItem]:
    """Put every *instructed* dossier of the campaign on the agenda of a *planned* session
    (``perform(d, "schedule", data={"session": …})``: ``fonds.comite.agenda`` places and ranks
    it, by total score then smaller population, and recuses the member who instructed it). Not on
    a session that takes over an adjourned one; re-running adds the dossiers instructed since.
    Audit ``comite_agenda_built``."""
    _require_admin(by, "établir l'ordre du jour")
    with transaction.atomic():
        session = _lock_session(session)
        _require_status(session, (Session.Status.PLANNED,), "établir l'ordre du jour")
        if session.follows_id:
            raise ComiteRefused(
                "condition",
                "Cette séance reprend l'ordre du jour de la séance ajournée : il ne peut pas être modifié.",
            )
        ids = list(
            Dossier.objects.filter(campaign_id=session.campaign_id, status=Status.INSTRUCTED)
            .order_by(F("assessment__score_total").desc(nulls_last=True), "commune__population", "pk")
            .values_list("pk", flat=True)
        )
        if ids:
            result = perform_many(ids, "schedule", by=by, data={"session": session.pk})
            if result.refused:
                first = result.refused[0]
                raise ComiteRefused(
                    first.kind if first.kind in ComiteRefused.HTTP else "condition",
                    first.message,
                    list(first.rules),
                )
        created = list(session.items.filter(dossier_id__in=ids).select_related("dossier").order_by("rank"))
        audit.append(
            "comite_agenda_built",
            actor=by,
            role=Role.ADMIN,
            obj=session,
            payload={
                "added": [
                    {
                        "reference": i.dossier.reference,
                        "rank": i.rank,
                        "score_total": i.score_total,
                        "population": i.population,
                    }
                    for i in created
                ],
                "items": session.items.count(),
                "rules_version": session.campaign.rules.version,
            },
        )
    return created


def send_convocation(session: Session, *, by) -> ConvocationResult:
    """Status ``planned`` → ``convened``: one email with the agenda per member (Celery task through
    the outbox, sent once per member and session). Refused fewer than
    ``committee.convocation_min_days`` days before the sitting. The member list is set to the
    composition once more, then frozen: the members convened are those who deliberate. Audit
    ``comite_convocation``."""
    _require_admin(by, "envoyer la convocation")
    campaign_id = Session.objects.filter(pk=_pk(session)).values_list("campaign_id", flat=True).first()
    if campaign_id is None:
        raise ComiteRefused("not_found", "Séance introuvable.")
    with transaction.atomic():
        composition_mod._lock_campaign(campaign_id)  # campaign → session, as composition changes
        session = _lock_session(session)
        _require_status(session, (Session.Status.PLANNED,), "envoyer la convocation")
        items = list(session.items.select_related("dossier").order_by("rank"))
        if not items:
            raise ComiteRefused(
                "condition",
                "L'ordre du jour est vide : établissez-le avant de convoquer le comité.",
                ["agenda"],
            )
        now = clock.now()
        refusal = convocation_refusal(session.starts_at, session.campaign, now=now)
        if refusal:
            raise ComiteRefused(
                "condition",
                refusal + " Changez la date de la séance, puis convoquez.",
                ["convocation_min_days"],
            )
        composition_mod.sync_session_members(session, by=by, reason="convocation")
        delta = session.starts_at - now
        members = list(session.members.order_by("last_name", "email"))
        session.status = Session.Status.CONVENED
        session.convened_at = now
        session.save(update_fields=["status", "convened_at"])
        audit.append(
            "comite_convocation",
            actor=by,
            role=Role.ADMIN,
            obj=session,
            payload={
                "starts_at": session.starts_at,
                "days_before": delta.days,
                "min_days": min_days(session),
                "recipients": [m.pk for m in members],
                "members_frozen": True,
                "agenda": [i.dossier.reference for i in items],
                "rules_version": session.campaign.rules.version,
            },
        )
        for member in members:
            outbox.enqueue("fonds.comite.tasks.send_convocation_email", session.pk, member.pk)
    return ConvocationResult(session=session, recipients=[m.email for m in members], days_before=delta.days)


def give_proxy(session: Session, *, giver, holder, by=None) -> Proxy:
    """``giver`` gives a proxy to ``holder`` (both members; ``by`` defaults to the giver, an
    administrator or the chair may record it). A member gives at most one proxy and holds at most
    ``committee.max_proxies_per_member`` (1; the database holds it too); a holder cannot have given
    one, nor a giver hold one. Before the session ends. Audit ``comite_proxy_given``."""
    by = by or giver
    with transaction.atomic():
        session = _lock_session(session)
        if by.pk != giver.pk and by.pk != session.chair_id and not has_role(by, Role.ADMIN):
            raise ComiteRefused(
                "role",
                "Seul le membre lui-même, le président ou un administrateur enregistre une procuration.",
            )
        _require_status(session, _OPEN_STATUSES, "donner procuration")
        members = _member_ids(session)
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
                f"{_label(giver)} a déjà donné procuration pour cette séance : une seule procuration par membre.",
                ["proxy_given"],
            )
        held = sum(1 for p in proxies if p.holder_id == holder.pk)
        limit = int(_params(session).get("max_proxies_per_member", 1))
        if held >= limit:
            raise ComiteRefused(
                "condition",
                f"{_label(holder)} détient déjà {held} procuration(s) : le règlement en autorise {limit} au plus par membre.",
                ["proxy_held"],
            )
        if any(p.giver_id == holder.pk for p in proxies):
            raise ComiteRefused(
                "condition",
                f"{_label(holder)} a lui-même donné procuration : il ne peut pas en recevoir.",
                ["proxy_chain"],
            )
        if any(p.holder_id == giver.pk for p in proxies):
            raise ComiteRefused(
                "condition",
                f"{_label(giver)} détient une procuration : il ne peut pas en donner une à son tour.",
                ["proxy_chain"],
            )
        if _presence(session).get(giver.pk) == Attendance.Presence.PRESENT:
            raise ComiteRefused(
                "condition",
                f"{_label(giver)} est noté présent : modifiez l'émargement avant d'enregistrer sa procuration.",
                ["proxy_present"],
            )
        try:
            with transaction.atomic():
                proxy = Proxy.objects.create(session=session, giver=giver, holder=holder)
        except IntegrityError:
            raise ComiteRefused(
                "condition",
                "Procuration refusée : une seule procuration donnée et une seule détenue par membre.",
                ["proxy_held"],
            )
        audit.append(
            "comite_proxy_given",
            actor=by,
            role=_role(session, by),
            obj=session,
            payload={"proxy": proxy.pk, "giver": giver.pk, "holder": holder.pk},
        )
    return proxy


def revoke_proxy(session: Session, *, giver, by=None) -> None:
    """Withdraw the proxy ``giver`` gave (refused once a vote was cast with it). Audit
    ``comite_proxy_revoked``."""
    by = by or giver
    with transaction.atomic():
        session = _lock_session(session)
        if by.pk != giver.pk and by.pk != session.chair_id and not has_role(by, Role.ADMIN):
            raise ComiteRefused(
                "role", "Seul le membre lui-même, le président ou un administrateur retire une procuration."
            )
        _require_status(session, _OPEN_STATUSES, "retirer la procuration")
        proxy = Proxy.objects.filter(session=session, giver=giver).first()
        if proxy is None:
            raise ComiteRefused("not_found", "Aucune procuration donnée par ce membre pour cette séance.")
        if Vote.objects.filter(item__session=session, cast_for=giver).exists():
            raise ComiteRefused(
                "condition",
                "Un vote a déjà été exprimé avec cette procuration : elle ne peut plus être retirée.",
            )
        proxy.delete()
        if _presence(session).get(giver.pk) == Attendance.Presence.REPRESENTED:
            Attendance.objects.filter(session=session, member=giver).update(
                presence=Attendance.Presence.ABSENT, recorded_at=clock.now()
            )
        audit.append(
            "comite_proxy_revoked",
            actor=by,
            role=_role(session, by),
            obj=session,
            payload={"giver": giver.pk, "holder": proxy.holder_id},
        )


def declare_conflict(item: AgendaItem, *, member, reason: str, by=None) -> ConflictDeclaration:
    """``member`` declares a link with the item's dossier (``reason`` required): they are recused
    on it. Refused once the item's vote is open. Declaring twice returns the first declaration.
    Audit ``comite_conflict_declared``."""
    by = by or member
    reason = _text(reason, "Lien déclaré", max_length=2000)
    with transaction.atomic():
        item = _lock_item(item)
        session = item.session
        if by.pk != member.pk and not has_role(by, Role.ADMIN):
            raise ComiteRefused(
                "role", "Chaque membre déclare lui-même ses liens d'intérêts (ou un administrateur pour lui)."
            )
        if member.pk not in _member_ids(session):
            raise ComiteRefused("condition", "Seul un membre de la séance déclare un conflit d'intérêts.")
        _require_status(session, _OPEN_STATUSES, "déclarer un conflit d'intérêts")
        existing = ConflictDeclaration.objects.filter(item=item, member=member).first()
        if existing is not None:
            return existing
        if not reason:
            raise ComiteRefused(
                "condition",
                "Décrivez le lien avec ce dossier (par exemple : élu de la commune ou de son intercommunalité).",
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
            role=_role(session, by),
            obj=item,
            payload={
                "reference": item.dossier.reference,
                "session": session.pk,
                "member": member.pk,
                "reason": reason,
            },
        )
    return declaration


# ---- the sitting -----------------------------------------------------------------------------


def open_sitting(session: Session, *, by) -> Session:
    """The chair opens the sitting: ``convened`` → ``sitting``, never before ``opens_from``
    (the scheduled start minus ``committee.open_tolerance_minutes``); ``opened_at`` is the
    sitting's date on the minutes and letters. Audit ``comite_sitting_opened``."""
    with transaction.atomic():
        session = _lock_session(session)
        _require_chair(session, by, "ouvrir la séance")
        _require_status(session, (Session.Status.CONVENED,), "ouvrir la séance")
        _require_sitting_time(session, "ouvrir la séance")
        session.status = Session.Status.SITTING
        session.opened_at = clock.now()
        session.save(update_fields=["status", "opened_at"])
        audit.append(
            "comite_sitting_opened",
            actor=by,
            role="president",
            obj=session,
            payload={"opened_at": session.opened_at, "needs_quorum": session.needs_quorum},
        )
    return session


def record_attendance(session: Session, *, by, presence: dict) -> list[Attendance]:
    """The chair records attendance: ``{member (user or id): "present"|"represented"|"absent"}``
    (members not named keep their row). ``represented`` needs a proxy given by that member to a
    member present. While ``convened`` or ``sitting``, not before ``opens_from`` (attendance is
    taken at the sitting). Audit ``comite_attendance`` (with the session's quorum)."""
    with transaction.atomic():
        session = _lock_session(session)
        _require_chair(session, by, "tenir l'émargement")
        _require_status(session, (Session.Status.CONVENED, Session.Status.SITTING), "tenir l'émargement")
        _require_sitting_time(session, "tenir l'émargement")
        members = _member_ids(session)
        wanted = {}
        for key, value in presence.items():
            pk = _pk(key)
            if pk not in members:
                raise ComiteRefused(
                    "condition", "L'émargement ne concerne que les membres de la séance.", ["attendance"]
                )
            if value not in Attendance.Presence.values:
                raise ComiteRefused(
                    "condition",
                    "Présence : « present », « represented » ou « absent » attendu.",
                    ["attendance"],
                )
            wanted[pk] = value
        final = {**_presence(session), **wanted}
        proxies = _proxies(session)
        problems = []
        for pk, value in wanted.items():
            if value == Attendance.Presence.REPRESENTED:
                holder = proxies.get(pk)
                if holder is None:
                    problems.append("un membre noté représenté n'a pas donné de procuration")
                elif final.get(holder) != Attendance.Presence.PRESENT:
                    problems.append("un membre noté représenté l'est par un mandataire qui n'est pas présent")
        if problems:
            raise ComiteRefused(
                "condition", "Émargement refusé : " + " ; ".join(sorted(set(problems))) + ".", ["attendance"]
            )
        now = clock.now()
        rows = []
        for pk, value in wanted.items():
            row, _ = Attendance.objects.update_or_create(
                session=session, member_id=pk, defaults={"presence": value, "recorded_at": now}
            )
            rows.append(row)
        result = _quorum_for(session, set(), final, proxies)
        audit.append(
            "comite_attendance",
            actor=by,
            role="president",
            obj=session,
            payload={"presence": {str(k): v for k, v in sorted(wanted.items())}, "quorum": result.as_dict()},
        )
    return rows


def open_vote(item: AgendaItem, *, by, amount=None, motivation: str = "") -> AgendaItem:
    """The chair opens the vote on the item: the motion is to grant ``amount`` (default the
    proposed amount; a different amount is an amendment, which needs ``motivation`` and lies within
    ``award_bounds``: 1,000–15,000 € and the formula's caps — the proposal stands as instructed,
    so that a dossier that cannot be awarded is still voted on, and rejected). Refused without
    quorum for this item (after recusals). When the chair is recused on the item the deputy chair
    presides over it (``presiding_member_id``); refused when both are recused. Audit
    ``comite_vote_opened`` with the quorum and who presides."""
    motivation = _text(motivation, "Motivation de l'amendement")
    with transaction.atomic():
        item = _lock_item(item)
        session = item.session
        role = _require_presiding(item, by, "ouvrir le vote")
        _require_status(session, (Session.Status.SITTING,), "ouvrir le vote")
        if item.vote_state != AgendaItem.VoteState.PENDING or item.outcome:
            raise ComiteRefused(
                "status", f"Le vote sur le dossier {item.dossier.reference} a déjà été ouvert."
            )
        if item.dossier.status != Status.IN_COMMITTEE:
            raise ComiteRefused("status", f"Le dossier {item.dossier.reference} n'est plus « en comité ».")
        result = item_quorum(item)
        if not result.reached:
            raise ComiteRefused(
                "condition",
                f"Quorum non atteint pour le dossier {item.dossier.reference} : {result.explanation()} Ajournez la séance ou reportez le dossier.",
                ["quorum"],
            )
        proposed = item.proposed_amount if item.proposed_amount is not None else item.dossier.proposed_amount
        motion = _money(amount, "Montant") if amount not in (None, "") else proposed
        if motion is None:
            raise ComiteRefused(
                "condition", "Aucun montant proposé : indiquez le montant soumis au vote.", ["amount"]
            )
        amended = proposed is None or motion != proposed
        if amended and not motivation:
            raise ComiteRefused(
                "condition",
                "Un montant différent de la proposition de l'instructeur est un amendement : motivez-le.",
                ["amendment"],
            )
        if amended:  # the instructor's proposal was checked at instruction (0 € for an unfavourable opinion)
            _check_amount(item, motion, "Montant soumis au vote")
        item.amount = motion
        item.amendment_motivation = motivation if amended else ""
        item.vote_state = AgendaItem.VoteState.OPEN
        item.vote_opened_at = clock.now()
        item.quorum = result.as_dict()
        item.save(update_fields=["amount", "amendment_motivation", "vote_state", "vote_opened_at", "quorum"])
        audit.append(
            "comite_vote_opened",
            actor=by,
            role=role,
            obj=item,
            payload={
                "reference": item.dossier.reference,
                "session": session.pk,
                "presiding": by.pk,
                "amount": motion,
                "proposed_amount": proposed,
                "amended": amended,
                "motivation": item.amendment_motivation,
                "quorum": result.as_dict(),
            },
        )
    return item


class _Refusal(Exception):
    def __init__(self, action: str, session: Session, obj, payload: dict, error: ComiteRefused):
        self.args_ = (action, session, obj, payload, error)


def cast_vote(item: AgendaItem, *, by, choice: str, for_member=None) -> Vote:
    """``by`` votes pour / contre / abstention on the open item, for themselves or, with
    ``for_member``, for the member whose proxy they hold. A vote may be changed until the vote is
    closed, never after. A recused member (or a holder voting for a recused giver) is refused and
    the attempt is audited (``comite_vote_refused``). Audit ``comite_vote_cast``."""
    if choice not in Vote.Choice.values:
        raise ComiteRefused("condition", "Vote : « pour », « contre » ou « abstention » attendu.", ["choice"])
    known = item.session if isinstance(item, AgendaItem) and AgendaItem.session.is_cached(item) else None
    try:
        with transaction.atomic():
            item = _lock_item(item)
            session = item.session
            if (
                known is not None
                and known.pk == session.pk
                and getattr(known, "_member_ids", None) is not None
            ):
                session._member_ids = known._member_ids  # members are set once, when the session is created
            members = _member_ids(session)
            if by is None or by.pk not in members:
                raise ComiteRefused("role", "Seuls les membres de la séance votent.")
            elector = for_member if for_member is not None else by
            recused = recused_member_ids(item)
            if by.pk in recused or elector.pk in recused:
                who = "Vous êtes déporté" if by.pk in recused else f"{_label(elector)} est déporté"
                raise _Refusal(
                    "comite_vote_refused",
                    session,
                    item,
                    {
                        "reference": item.dossier.reference,
                        "session": session.pk,
                        "member": by.pk,
                        "for_member": _pk(for_member),
                        "choice": choice,
                        "reason": "recused",
                    },
                    ComiteRefused(
                        "recused",
                        f"{who} sur ce dossier (conflit d'intérêts déclaré) : le vote est refusé.",
                        ["recusal"],
                    ),
                )
            if item.vote_state == AgendaItem.VoteState.CLOSED:
                raise ComiteRefused(
                    "status",
                    f"Le vote sur le dossier {item.dossier.reference} est clos : il ne peut plus être exprimé ni modifié.",
                )
            if item.vote_state != AgendaItem.VoteState.OPEN or session.status != Session.Status.SITTING:
                raise ComiteRefused(
                    "status", f"Le vote sur le dossier {item.dossier.reference} n'est pas ouvert."
                )
            presence = _presence(session)
            if presence.get(by.pk) != Attendance.Presence.PRESENT:
                raise ComiteRefused(
                    "condition",
                    "Seuls les membres présents votent (l'émargement vous note absent ou représenté).",
                    ["attendance"],
                )
            if for_member is not None:
                if for_member.pk == by.pk:
                    for_member = None
                    elector = by
                elif not Proxy.objects.filter(session=session, giver=for_member, holder=by).exists():
                    raise ComiteRefused(
                        "condition",
                        f"Vous ne détenez pas la procuration de {_label(for_member)} pour cette séance.",
                        ["proxy"],
                    )
                elif presence.get(for_member.pk) == Attendance.Presence.PRESENT:
                    raise ComiteRefused(
                        "condition",
                        f"{_label(for_member)} est présent : il vote lui-même.",
                        ["proxy_present"],
                    )
            vote = (
                Vote.objects.select_for_update().filter(item=item, elector=elector).order_by().first()
            )  # (item, elector) is unique
            previous = vote.choice if vote is not None else None
            now = clock.now()
            if vote is None:
                vote = Vote.objects.create(
                    item=item, member=by, cast_for=for_member, elector=elector, choice=choice, cast_at=now
                )
            else:
                vote.member, vote.cast_for, vote.choice, vote.cast_at = by, for_member, choice, now
                vote.save(update_fields=["member", "cast_for", "choice", "cast_at"])
            audit.append(
                "comite_vote_cast",
                actor=by,
                role=_role(session, by),
                obj=item,
                payload={
                    "reference": item.dossier.reference,
                    "session": session.pk,
                    "elector": elector.pk,
                    "proxy": for_member is not None,
                    "choice": choice,
                    "previous": previous,
                },
            )
    except _Refusal as refusal:
        action, session, obj, payload, error = refusal.args_
        _audit_refusal(action, by=by, session=session, obj=obj, payload=payload)
        raise error
    return vote


def close_vote(item: AgendaItem, *, by) -> TallyResult:
    """The presiding member (chair, or deputy chair when the chair is recused) closes the vote: the
    tally is stored and votes are frozen. Audit ``comite_vote_closed`` with the counts."""
    with transaction.atomic():
        item = _lock_item(item)
        session = item.session
        role = _require_presiding(item, by, "clore le vote")
        if item.vote_state != AgendaItem.VoteState.OPEN:
            raise ComiteRefused(
                "status", f"Le vote sur le dossier {item.dossier.reference} n'est pas ouvert."
            )
        result = current_tally(item)
        item.vote_state = AgendaItem.VoteState.CLOSED
        item.vote_closed_at = clock.now()
        item.tally = result.as_dict()
        item.save(update_fields=["vote_state", "vote_closed_at", "tally"])
        audit.append(
            "comite_vote_closed",
            actor=by,
            role=role,
            obj=item,
            payload={
                "reference": item.dossier.reference,
                "session": session.pk,
                "presiding": by.pk,
                "tally": result.as_dict(),
            },
        )
    return result


def close_all_votes(session: Session, *, by) -> dict[int, TallyResult]:
    """The chair (or the deputy chair) closes at once every open vote of the session they preside
    over (end of a sitting where the votes ran in parallel; the items on which the chair is recused
    are the deputy's): one transaction, the votes read in one query, one ``comite_vote_closed``
    event per item (``append_many``). Returns ``{item pk: tally}``."""
    with transaction.atomic():
        session = _lock_session(session)
        if by is None or by.pk not in (session.chair_id, session.deputy_chair_id):
            raise ComiteRefused(
                "role",
                "Seul le président de séance (ou son suppléant, pour les dossiers qu'il préside) peut clore les votes.",
            )
        _require_status(session, (Session.Status.SITTING,), "clore les votes")
        items = list(
            AgendaItem.objects.select_for_update()
            .filter(session=session, vote_state=AgendaItem.VoteState.OPEN)
            .order_by("rank")
        )
        recused: dict[int, set[int]] = {}
        for item_id, member_id in (
            ConflictDeclaration.objects.filter(item__in=items).order_by().values_list("item_id", "member_id")
        ):
            recused.setdefault(item_id, set()).add(member_id)
        items = [i for i in items if presiding_for(session, recused.get(i.pk, set())) == by.pk]
        if not items:
            return {}
        role = _role(session, by)
        references = dict(Dossier.objects.filter(agenda_items__in=items).values_list("pk", "reference"))
        votes: dict[int, list[tuple[int, str]]] = {}
        for item_id, elector, choice in (
            Vote.objects.filter(item__in=items).order_by().values_list("item_id", "elector_id", "choice")
        ):
            votes.setdefault(item_id, []).append((elector, choice))
        now = clock.now()
        results, events = {}, []
        for item in items:
            rows = votes.get(item.pk, [])
            chair = presiding_for(session, recused.get(item.pk, set()))
            result = tally_fn([c for _, c in rows], next((c for e, c in rows if e == chair), None))
            item.vote_state, item.vote_closed_at, item.tally = (
                AgendaItem.VoteState.CLOSED,
                now,
                result.as_dict(),
            )
            results[item.pk] = result
            events.append(
                {
                    "action": "comite_vote_closed",
                    "actor": by,
                    "role": role,
                    "obj": item,
                    "payload": {
                        "reference": references[item.dossier_id],
                        "session": session.pk,
                        "presiding": by.pk,
                        "tally": result.as_dict(),
                    },
                }
            )
        AgendaItem.objects.bulk_update(items, ["vote_state", "vote_closed_at", "tally"], batch_size=500)
        audit.append_many(events)
    return results


OUTCOMES = ("approve", "reject", "defer")


def decide(item: AgendaItem, *, by, outcome: str, amount=None, motivation: str = "") -> AgendaItem:
    """The presiding member (the chair, or the deputy chair when the chair is recused) records
    the outcome of the item through ``perform``:

    * ``"approve"`` — the vote is closed and adopted; amount = the motion's amount (``amount``
      may amend it again, with ``motivation``; always within ``award_bounds``). Beyond what is
      left of the envelope the dossier is
      *waitlisted* instead (outcome ``waitlisted``): ``fonds.comite.envelope.approve_or_waitlist``.
    * ``"reject"`` — the vote is closed and not adopted; ``motivation`` required.
    * ``"defer"`` — back to ``instructed`` for a later session (any time the vote is not open).

    When nobody may preside over the item (chair recused and no deputy, or both recused) the
    chair may only *defer* it (``may_defer_unpresided``), so that the session can still close.

    Audit: the dossier's transition event, plus ``comite_outcome`` on the item.
    """
    from . import envelope

    if outcome not in OUTCOMES:
        raise ComiteRefused(
            "condition", "Décision : « approve », « reject » ou « defer » attendu.", ["outcome"]
        )
    motivation = _text(motivation, "Motivation")
    with transaction.atomic():
        item = _lock_item(item)
        session = item.session
        dossier = item.dossier
        if outcome == "defer" and may_defer_unpresided(item, by):
            role = "president"
        else:
            role = _require_presiding(item, by, "enregistrer la décision")
        _require_status(session, (Session.Status.SITTING,), "enregistrer une décision")
        if item.outcome:
            raise ComiteRefused(
                "status", f"La décision sur le dossier {dossier.reference} est déjà enregistrée."
            )
        data = {"session": session.pk, "item": item.pk}
        decided_amount = None
        try:
            if outcome == "defer":
                if item.vote_state == AgendaItem.VoteState.OPEN:
                    raise ComiteRefused("status", "Clôturez d'abord le vote en cours.")
                perform(
                    dossier, "defer", by=by, motivation=motivation, data=data, forum=Forum.COMMITTEE_SITTING
                )
                result = AgendaItem.Outcome.DEFERRED
            else:
                if item.vote_state != AgendaItem.VoteState.CLOSED:
                    raise ComiteRefused(
                        "status",
                        "Le vote sur ce dossier n'est pas clos : la décision suit le vote.",
                        ["vote"],
                    )
                adopted = bool(item.tally.get("adopted"))
                data["tally"] = item.tally
                if outcome == "approve":
                    if not adopted:
                        raise ComiteRefused(
                            "condition",
                            "Le comité n'a pas adopté l'attribution : la décision ne peut pas être un accord.",
                            ["vote"],
                        )
                    decided_amount = item.amount
                    if amount not in (None, ""):
                        given = _money(amount, "Montant")
                        if given != item.amount:
                            if not motivation:
                                raise ComiteRefused(
                                    "condition",
                                    "Un montant différent de celui voté est un amendement : motivez-le.",
                                    ["amendment"],
                                )
                            decided_amount = given
                    if decided_amount is None:
                        raise ComiteRefused("condition", "Aucun montant soumis au vote.", ["amount"])
                    _check_amount(item, decided_amount, "Montant accordé")
                    fired = envelope.approve_or_waitlist(
                        dossier,
                        by=by,
                        amount=decided_amount,
                        motivation=motivation or item.amendment_motivation,
                        data=data,
                    )
                    result = (
                        AgendaItem.Outcome.APPROVED if fired == "approve" else AgendaItem.Outcome.WAITLISTED
                    )
                else:
                    if adopted:
                        raise ComiteRefused(
                            "condition",
                            "Le comité a adopté l'attribution : la décision ne peut pas être un refus.",
                            ["vote"],
                        )
                    if not motivation:
                        raise ComiteRefused(
                            "motivation",
                            "Un refus exige une motivation écrite (notifiée au maire).",
                            ["motivation"],
                        )
                    perform(
                        dossier,
                        "reject",
                        by=by,
                        motivation=motivation,
                        data=data,
                        forum=Forum.COMMITTEE_SITTING,
                    )
                    result = AgendaItem.Outcome.REJECTED
        except TransitionRefused as exc:
            raise _from_transition(exc)
        item.outcome = result
        item.decided_amount = decided_amount
        item.motivation = motivation
        item.decided_at = clock.now()
        item.decided_by = by
        item.save(update_fields=["outcome", "decided_amount", "motivation", "decided_at", "decided_by"])
        left = envelope.left(session.campaign)
        audit.append(
            "comite_outcome",
            actor=by,
            role=role,
            obj=item,
            payload={
                "reference": dossier.reference,
                "session": session.pk,
                "presiding": by.pk,
                "outcome": result,
                "amount": decided_amount,
                "motivation": motivation,
                "tally": item.tally,
                "envelope_left": left,
                "rules_version": session.campaign.rules.version,
            },
        )
    return item


def adjourn(session: Session, *, by, motivation: str = "") -> Session:
    """The chair adjourns the sitting for want of quorum (refused when the session's quorum is
    reached or when no quorum is needed; not before ``opens_from``: the lack of quorum is observed
    at the sitting): ``convened``/``sitting`` → ``adjourned``; undecided dossiers stay ``in_committee`` for the next session (``create_session(follows=…)``, no
    quorum needed). Audit ``comite_adjourned``."""
    motivation = _text(motivation, "Motivation")
    with transaction.atomic():
        session = _lock_session(session)
        _require_chair(session, by, "ajourner la séance")
        _require_status(session, (Session.Status.CONVENED, Session.Status.SITTING), "ajourner la séance")
        _require_sitting_time(session, "ajourner la séance")
        if not session.needs_quorum:
            raise ComiteRefused(
                "condition",
                "Cette séance fait suite à une séance ajournée : elle délibère sans condition de quorum.",
                ["quorum"],
            )
        result = session_quorum(session)
        if result.reached:
            raise ComiteRefused(
                "condition",
                f"Le quorum est atteint ({result.explanation()}) : la séance ne peut pas être ajournée pour ce motif.",
                ["quorum"],
            )
        if session.items.filter(vote_state=AgendaItem.VoteState.OPEN).exists():
            raise ComiteRefused("status", "Un vote est en cours : clôturez-le avant d'ajourner.")
        session.status = Session.Status.ADJOURNED
        session.ended_at = clock.now()
        session.save(update_fields=["status", "ended_at"])
        pending = list(session.items.filter(outcome="").values_list("dossier__reference", flat=True))
        audit.append(
            "comite_adjourned",
            actor=by,
            role="president",
            obj=session,
            payload={"quorum": result.as_dict(), "motivation": motivation, "pending": pending},
        )
    return session


def close_session(session: Session, *, by) -> Session:
    """The chair closes the session (every item decided): the minutes PDF (procès-verbal) is
    generated and stored (``GeneratedDocument`` kind ``minutes``), its SHA-256 goes in the audit
    event ``comite_session_closed``; on commit a Celery task per decided dossier makes its
    decision letter and emails the mayor(s)."""
    stored = []
    try:
        return _close_session(session, by, stored)
    except BaseException:
        for document in stored:  # the transaction rolled back: no orphan file
            document.file.storage.delete(document.file.name)
        raise


def _close_session(session, by, stored: list) -> Session:
    from . import envelope
    from .minutes import store_minutes

    with transaction.atomic():
        session = _lock_session(session)
        _require_chair(session, by, "clore la séance")
        _require_status(session, (Session.Status.SITTING,), "clore la séance")
        undecided = list(
            session.items.filter(outcome="").order_by("rank").values_list("dossier__reference", flat=True)
        )
        if undecided:
            raise ComiteRefused(
                "condition",
                "Chaque dossier inscrit doit recevoir une décision avant la clôture ; sans décision : "
                + ", ".join(undecided[:20])
                + ("…" if len(undecided) > 20 else "")
                + ".",
                ["undecided"],
            )
        now = clock.now()
        session.status = Session.Status.CLOSED
        session.ended_at = now
        document, created = store_minutes(session, at=now)
        if created:
            stored.append(document)
        session.minutes = document
        session.minutes_sha256 = document.sha256
        session.save(update_fields=["status", "ended_at", "minutes", "minutes_sha256"])
        counts = dict(session.items.values("outcome").annotate(n=Count("pk")).values_list("outcome", "n"))
        approved = session.items.filter(outcome=AgendaItem.Outcome.APPROVED).aggregate(
            s=Sum("decided_amount")
        )["s"] or Decimal("0.00")
        audit.append(
            "comite_session_closed",
            actor=by,
            role="president",
            obj=session,
            payload={
                "minutes": document.pk,
                "sha256": document.sha256,
                "size": document.size,
                "outcomes": counts,
                "approved_total": approved,
                "envelope": session.campaign.envelope,
                "envelope_left": envelope.left(session.campaign),
                "rules_version": session.campaign.rules.version,
            },
        )
        for item_pk in session.items.order_by("rank").values_list("pk", flat=True):
            outbox.enqueue("fonds.comite.tasks.generate_decision_letter", item_pk)
    return session
