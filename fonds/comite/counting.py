"""The quorum and tally of a session or an item as recorded now (attendance, proxies,
recusals, votes), by the pure rules of ``fonds.comite.quorum``. A caller that already read
attendance, proxies, recusals or votes passes them: nothing is read twice."""

from __future__ import annotations

from .models import AgendaItem, Attendance, ConflictDeclaration, Proxy, Session, Vote
from .quorum import QuorumResult, TallyResult
from .quorum import quorum as quorum_fn
from .quorum import tally as tally_fn
from .reading import committee_params, member_ids, presiding_member_id, recused_member_ids


def presence_by_member(session: Session) -> dict[int, str]:
    return dict(
        Attendance.objects.filter(session_id=session.pk).order_by().values_list("member_id", "presence")
    )


def proxy_holders(session: Session) -> dict[int, int]:
    return dict(Proxy.objects.filter(session_id=session.pk).order_by().values_list("giver_id", "holder_id"))


def recusals(**where) -> dict[int, set[int]]:
    """``{item pk: ids of the members recused on it}`` for the declarations matching ``where``."""
    recused: dict[int, set[int]] = {}
    for item_id, member_id in (
        ConflictDeclaration.objects.filter(**where).order_by().values_list("item_id", "member_id")
    ):
        recused.setdefault(item_id, set()).add(member_id)
    return recused


def quorum_for(
    session: Session,
    recused: set[int],
    presence: dict | None = None,
    proxies: dict | None = None,
    *,
    members: set[int] | None = None,
) -> QuorumResult:
    """The quorum given the ids recused; attendance, proxies and members read unless given."""
    presence = presence_by_member(session) if presence is None else presence
    proxies = proxy_holders(session) if proxies is None else proxies
    return quorum_fn(
        member_ids(session) if members is None else members,
        [m for m, p in presence.items() if p == Attendance.Presence.PRESENT],
        {g: h for g, h in proxies.items() if presence.get(g) != Attendance.Presence.ABSENT},
        recused,
        fraction=committee_params(session).get("quorum_fraction", "0.5"),
        needs_quorum=session.needs_quorum,
    )


def quorums_for(
    session: Session,
    *,
    recused: dict[int, set[int]] | None = None,
    presence: dict | None = None,
    proxies: dict | None = None,
    item_ids=None,
    members: set[int] | None = None,
) -> dict[int, QuorumResult]:
    """``{item pk: quorum}`` for every item of the session (after each item's recusals) in at
    most five queries, none for what the caller already read: ``recused`` ``{item pk: member
    ids}``, ``presence`` ``{member id: presence}``, ``proxies`` ``{giver id: holder id}``,
    ``item_ids``, ``members``."""
    if recused is None:
        recused = recusals(item__session_id=session.pk)
    members = member_ids(session) if members is None else members
    presence = presence_by_member(session) if presence is None else presence
    proxies = proxy_holders(session) if proxies is None else proxies
    if item_ids is None:
        item_ids = list(session.items.order_by().values_list("pk", flat=True))
    return {
        pk: quorum_for(session, recused.get(pk, set()), presence, proxies, members=members) for pk in item_ids
    }


def item_quorum(
    item: AgendaItem,
    *,
    presence: dict | None = None,
    proxies: dict | None = None,
    recused: set[int] | None = None,
    members: set[int] | None = None,
) -> QuorumResult:
    """Quorum of this item now, after recusals. A member marked *absent* does not count even
    when a proxy was given (mark them *represented*)."""
    recused = recused_member_ids(item) if recused is None else recused
    return quorum_for(item.session, recused, presence, proxies, members=members)


def session_quorum(session: Session, *, members: set[int] | None = None) -> QuorumResult:
    """Quorum of the session as a whole (no recusal): used to adjourn."""
    return quorum_for(session, set(), members=members)


def current_tally(
    item: AgendaItem, rows: list[tuple[int, str]] | None = None, *, recused: set[int] | None = None
) -> TallyResult:
    """Tally of the item's votes so far; the presiding member's vote is the casting vote.
    ``rows``: every ``(elector id, choice)`` of the item, ``recused``: its recused ids, when read."""
    if rows is None:
        rows = list(Vote.objects.filter(item_id=item.pk).order_by().values_list("elector_id", "choice"))
    return tally_of(rows, presiding_member_id(item, recused=recused))


def tally_of(rows: list[tuple[int, str]], presiding: int | None) -> TallyResult:
    """The tally of ``(elector id, choice)`` rows, ``presiding``'s choice breaking a tie."""
    return tally_fn([c for _, c in rows], next((c for e, c in rows if e == presiding), None))
