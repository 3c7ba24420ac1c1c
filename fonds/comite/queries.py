"""Read-only queries of the comité pages (every change is a comité service).

Each helper runs a fixed number of SQL queries whatever the number of agenda items, so that a
500-dossier session page stays a handful of queries: the sessions a user may open (others: a
404), the ranked agenda with the reader's recusals, the chair's table (quorum and tally per
item by the services' own rules), the candidates for the agenda, an item's summary.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, Subquery
from django.http import Http404

from fonds.accounts.models import User
from fonds.accounts.roles import Role, roles_of
from fonds.audit.models import AuditEvent
from fonds.dossiers.models import Dossier
from fonds.dossiers.states import Status
from fonds.instruction import grid
from fonds.instruction import services as instruction
from fonds.instruction.models import Score

from . import counting, reading
from .models import AgendaItem, Attendance, ConflictDeclaration, Proxy, Session, Vote
from .quorum import QuorumResult, TallyResult

#: roles that reach the comité pages at all (everybody else: a 403 page before any lookup)
AREA_ROLES = frozenset({Role.COMITE, Role.ADMIN, Role.AUDITEUR})
#: roles that read every session (members read the sessions they sit on)
ALL_SESSIONS_ROLES = frozenset({Role.ADMIN, Role.AUDITEUR})


def _count(model, field: str = "session"):
    return Subquery(
        model.objects.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")[:1],
        output_field=IntegerField(),
    )


def readable_sessions(user):
    """The sessions ``user`` may open: every one for an administrator or an auditor, those they sit
    on (a member, or the chair) for a committee member, none for anyone else."""
    roles = roles_of(user)
    if roles & ALL_SESSIONS_ROLES:
        return Session.objects.all()
    if Role.COMITE not in roles:
        return Session.objects.none()
    sits = Session.members.through.objects.filter(session_id=OuterRef("pk"), user_id=user.pk)
    return Session.objects.filter(Q(chair_id=user.pk) | Q(Exists(sits)))


def sessions_for(user):
    """Sessions ``user`` may open, newest first, with ``n_items``, ``n_members``, ``n_decided``."""
    qs = readable_sessions(user).select_related("campaign", "chair")
    members = Session.members.through
    return qs.annotate(
        n_items=_count(AgendaItem),
        n_decided=Subquery(
            AgendaItem.objects.filter(session=OuterRef("pk"))
            .exclude(outcome="")
            .order_by()
            .values("session")
            .annotate(n=Count("pk"))
            .values("n")[:1],
            output_field=IntegerField(),
        ),
        n_members=Subquery(
            members.objects.filter(session_id=OuterRef("pk"))
            .order_by()
            .values("session_id")
            .annotate(n=Count("pk"))
            .values("n")[:1],
            output_field=IntegerField(),
        ),
    ).order_by("-starts_at", "-pk")


def session_for(user, pk) -> Session:
    """The session, or 404 when it does not exist or ``user`` may not open it (one query: a
    member's seat is checked in it; the pages read the members themselves, with ``members_of``)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404("Séance introuvable.") from None
    session = (
        readable_sessions(user)
        .select_related("campaign", "chair", "deputy_chair", "follows")
        .filter(pk=pk)
        .order_by()
        .first()
    )
    if session is None:
        raise Http404("Séance introuvable.")
    return session


def item_for(session: Session, item_pk, *, bare: bool = False) -> AgendaItem:
    """The agenda item of ``session`` (404 otherwise) with its dossier, commune and instructor; its
    ``session`` is ``session`` and, when they match, its dossier's campaign is the session's (one
    campaign object: its rule set is read once). ``bare``: the item row alone, for a view that
    only hands the item to a service (which locks and reads it itself)."""
    try:
        item_pk = int(item_pk)
    except (TypeError, ValueError):
        raise Http404("Point de l'ordre du jour introuvable.") from None
    qs = AgendaItem.objects.filter(session=session, pk=item_pk).order_by()
    item = (qs if bare else qs.select_related("dossier__commune", "dossier__instructor")).first()
    if item is None:
        raise Http404("Point de l'ordre du jour introuvable.")
    item.session = session
    if not bare and item.dossier.campaign_id == session.campaign_id:
        item.dossier.campaign = session.campaign
    return item


#: the user columns the comité pages show (``person``: full name, else email)
PERSON_FIELDS = ("id", "first_name", "last_name", "email")


@dataclass(frozen=True)
class SessionMembers:
    """A session's members (the chair included) as one request read them: ``people`` by name,
    with the columns the pages show, and their ``ids`` for the rules of ``reading`` and
    ``counting``. A page reads it once and passes it along; write services read their own."""

    people: tuple[User, ...]
    ids: frozenset[int]


def members_of(session: Session) -> SessionMembers:
    """The session's members, read now (one query; two should the chair's row be missing)."""
    by_name = ("last_name", "first_name", "email")
    people = list(User.objects.filter(committee_sessions=session.pk).only(*PERSON_FIELDS).order_by(*by_name))
    if session.chair_id not in {m.pk for m in people}:
        # create_session makes the chair a member; should the row be missing, add them
        people = list(
            User.objects.filter(Q(committee_sessions=session) | Q(pk=session.chair_id))
            .distinct()
            .only(*PERSON_FIELDS)
            .order_by(*by_name)
        )
    return SessionMembers(tuple(people), frozenset(m.pk for m in people))


def proxies_of(session: Session) -> list[Proxy]:
    people = [f"{who}__{name}" for who in ("giver", "holder") for name in PERSON_FIELDS]
    return list(
        Proxy.objects.filter(session=session)
        .select_related("giver", "holder")
        .only("session_id", "giver", "holder", "created_at", *people)
        .order_by("pk")
    )


def presence_of(session: Session) -> dict[int, str]:
    return dict(Attendance.objects.filter(session=session).order_by().values_list("member_id", "presence"))


# ---- the agenda --------------------------------------------------------------------------------


@dataclass
class AgendaRow:
    item: AgendaItem
    recused: bool  # the user who reads is recused on it


#: what the agenda lists show of an item, its dossier and commune (the dossier's status too: the
#: state machine reads it when the row is loaded)
AGENDA_FIELDS = (
    "session_id",
    "rank",
    "score_total",
    "population",
    "proposed_amount",
    "vote_state",
    "outcome",
    "decided_amount",
    "dossier",
    "dossier__reference",
    "dossier__title",
    "dossier__status",
    "dossier__commune",
    "dossier__commune__name",
)


def agenda_rows(session: Session, user) -> list[AgendaRow]:
    """The agenda in rank order (the columns the lists show), each item with whether ``user`` is
    recused on it (an ``EXISTS`` on the declarations): one query."""
    declared = ConflictDeclaration.objects.filter(item=OuterRef("pk"), member_id=getattr(user, "pk", None))
    items = list(
        session.items.select_related("dossier__commune")
        .only(*AGENDA_FIELDS)
        .annotate(user_recused=Exists(declared))
        .order_by("rank")
    )
    return [AgendaRow(item, item.user_recused) for item in items]


def agenda_candidates(session: Session, limit: int | None = None):
    """Instructed dossiers of the campaign not yet on this agenda, in the ranking ``build_agenda``
    applies (total score desc, smaller population, then id)."""
    qs = (
        Dossier.objects.filter(campaign_id=session.campaign_id, status=Status.INSTRUCTED)
        .exclude(agenda_items__session=session)
        .select_related("commune", "assessment", "instructor")
        .order_by(F("assessment__score_total").desc(nulls_last=True), "commune__population", "pk")
    )
    return qs[:limit] if limit else qs


# ---- the sitting -------------------------------------------------------------------------------


@dataclass
class SittingRow:
    item: AgendaItem
    recused_ids: set
    quorum: QuorumResult
    tally: TallyResult | None  # stored when the vote is closed, live when open, None before
    votes_cast: int
    recused_for_user: bool
    presiding_id: int | None = (
        None  # chair, deputy chair when the chair is recused, None: nobody (defer only)
    )


def sitting_rows(session: Session, user, *, members: frozenset[int]) -> list[SittingRow]:
    """Every item with its quorum and tally in a fixed number of queries (items, conflicts,
    attendance, proxies, vote counts; one more per *open* vote for its live tally), for the
    session's member ids ``members`` the page read."""
    items = list(session.items.select_related("dossier__commune").order_by("rank"))
    recused = counting.recusals(item__session=session)
    presence = presence_of(session)
    proxies = counting.proxy_holders(session)
    counts = dict(
        Vote.objects.filter(item__session=session)
        .order_by()
        .values("item_id")
        .annotate(n=Count("pk"))
        .values_list("item_id", "n")
    )
    # one rule for the quorum: the services' own computation, fed with the conflicts read above
    quorums = counting.quorums_for(
        session,
        recused=recused,
        presence=presence,
        proxies=proxies,
        item_ids=[i.pk for i in items],
        members=members,
    )
    rows = []
    for item in items:
        item.session = session
        ids = recused.get(item.pk, set())
        quorum = quorums[item.pk]
        if item.vote_state == AgendaItem.VoteState.CLOSED and item.tally:
            tally = _stored_tally(item.tally)
        elif item.vote_state == AgendaItem.VoteState.OPEN:
            tally = counting.current_tally(item, recused=ids)
        else:
            tally = None
        rows.append(
            SittingRow(
                item,
                ids,
                quorum,
                tally,
                counts.get(item.pk, 0),
                getattr(user, "pk", None) in ids,
                reading.presiding_for(session, ids),
            )
        )
    return rows


def item_quorum(
    item: AgendaItem,
    presence: dict,
    proxies: list[Proxy],
    *,
    members: frozenset[int],
    recused: set[int] | None = None,
) -> QuorumResult:
    """``counting.item_quorum`` from the attendance, proxies, member ids and recusals the page
    already read."""
    return counting.item_quorum(
        item,
        presence=presence,
        proxies={p.giver_id: p.holder_id for p in proxies},
        recused=recused,
        members=members,
    )


def _stored_tally(data: dict) -> TallyResult:
    return TallyResult(
        pour=int(data.get("pour", 0)),
        contre=int(data.get("contre", 0)),
        abstention=int(data.get("abstention", 0)),
        chair_choice=data.get("chair_choice"),
        adopted=bool(data.get("adopted")),
        casting_vote=bool(data.get("casting_vote")),
    )


def item_tally(
    item: AgendaItem, votes: list[Vote] | None = None, *, recused: set[int] | None = None
) -> TallyResult | None:
    """Stored when the vote is closed, live when it is open (from ``votes`` and ``recused`` when
    the page already read them), None before."""
    if item.vote_state == AgendaItem.VoteState.CLOSED and item.tally:
        return _stored_tally(item.tally)
    if item.vote_state == AgendaItem.VoteState.OPEN:
        rows = None if votes is None else [(v.elector_id, v.choice) for v in votes]
        return counting.current_tally(item, rows=rows, recused=recused)
    return None


def item_votes(item: AgendaItem) -> list[Vote]:
    people = [f"{who}__{name}" for who in ("member", "cast_for", "elector") for name in PERSON_FIELDS]
    return list(
        Vote.objects.filter(item=item)
        .select_related("member", "cast_for", "elector")
        .only("item_id", "member", "cast_for", "elector", "choice", "cast_at", *people)
        .order_by("pk")
    )


# ---- what a member reads before voting ---------------------------------------------------------


@dataclass
class ItemSummary:
    grid: object  # fonds.instruction.grid.GridResult
    grid_rows: list  # (CriterionResult, Score | None)
    opinion_label: str
    proposal: object  # fonds.instruction.models.AmountProposal | None
    budget_lines: list


def item_summary(item: AgendaItem) -> ItemSummary:
    """The instructor's grid (points and comments), opinion and proposal, through the
    instruction's own read helpers."""

    dossier = item.dossier
    params = dossier.rules.params
    scores = {s.criterion: s for s in Score.objects.filter(dossier=dossier).order_by()}
    result = grid.evaluate({code: s.points for code, s in scores.items()}, params)
    return ItemSummary(
        grid=result,
        grid_rows=[(r, scores.get(r.criterion.code)) for r in result.results],
        opinion_label=grid.OPINION_LABELS.get(dossier.opinion, "Non renseigné"),
        proposal=instruction.current_proposal(dossier),
        budget_lines=list(dossier.budget_lines.order_by("kind", "id")),
    )


# ---- the session's audit trail -----------------------------------------------------------------

#: events shown on the session page: the most recent ones (a sitting of 30 items and 10 members
#: writes several hundred); the whole trail is in the auditors' export and each dossier's history
SESSION_EVENTS_SHOWN = 100


def session_events(
    session: Session, rows: list[AgendaRow], limit: int = SESSION_EVENTS_SHOWN
) -> tuple[list, bool]:
    """The latest ``limit`` audit events of the session and of its agenda items (convocation,
    attendance, declarations, votes, outcomes, closing), shown oldest first, and whether older
    ones were left out; the events of an item the reader is recused on are left out. One query
    (the ``audit_object_idx`` index)."""

    readable = [str(r.item.pk) for r in rows if not r.recused]
    condition = Q(object_type="comite.session", object_id=str(session.pk))
    if readable:
        condition |= Q(object_type="comite.agendaitem", object_id__in=readable)
    latest = list(
        AuditEvent.objects.filter(condition)
        .order_by("-seq")
        .only("seq", "created_at", "action", "actor_role", "object_type", "object_id")[: limit + 1]
    )
    return latest[:limit][::-1], len(latest) > limit
