"""An agenda item's page: the dossier's summary, its deliberation and votes, the vote forms and
the presiding member's actions. Recused members are refused (and audited) by ``read_item``."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render

from fonds.instruction.amount import award_bounds

from .. import envelope, queries, reading
from ..errors import ComiteRefused
from ..forms import OpenVoteForm, VoteForm
from ..models import AgendaItem, Attendance
from .common import S, comite_page


def read_or_refusal(request, session, item_pk, *, members: frozenset[int]):
    """``(item, None)`` through ``reading.read_item`` (``members``: the session's member ids the
    page read), or ``(None, the refusal page)``."""
    item = queries.item_for(session, item_pk)
    try:
        item = reading.read_item(item, by=request.user, members=members)
    except ComiteRefused as refused:
        if refused.kind == "not_found":
            raise Http404(refused.message) from None
        return None, comite_page(
            request,
            "comite/recused.html" if refused.kind == "recused" else "comite/forbidden.html",
            "Accès refusé",
            session=session,
            message=refused.message,
            status=refused.http_status,
        )
    item.session = session
    return item, None


def item_page_or_refusal(request, session, item_pk, **page):
    """The item's page for ``request.user`` (``page``: what ``item_page`` takes besides), the
    session's members read once for both; or the refusal page."""
    members = queries.members_of(session).ids
    item, refusal = read_or_refusal(request, session, item_pk, members=members)
    return refusal or item_page(request, session, item, members=members, **page)


def _vote_forms(request, session, item, page, data=None):
    """The vote forms this user may fill now: their own (prefix ``moi``), and one per absent member
    whose proxy they hold (prefix ``p<id>``); ``data`` (a refused POST) goes back to its form."""
    user = request.user
    if item.vote_state != AgendaItem.VoteState.OPEN or session.status != S.SITTING or not page.is_member:
        return []
    if page.presence.get(user.pk) != Attendance.Presence.PRESENT:
        return []
    posted = data.get("prefixe") if data is not None else None
    current = {v.elector_id: v.choice for v in page.votes}
    forms = [
        VoteForm(
            data if posted == "moi" else None,
            label="Votre vote",
            initial={"choice": current.get(user.pk)},
            prefix="moi",
        )
    ]
    for p in page.proxies:
        if (
            p.holder_id == user.pk
            and page.presence.get(p.giver_id) != Attendance.Presence.PRESENT
            and p.giver_id not in page.recused
        ):
            name = p.giver.display_name
            prefix = f"p{p.giver_id}"
            forms.append(
                VoteForm(
                    data if posted == prefix else None,
                    label=f"Vote pour le compte de {name} (procuration)",
                    initial={"choice": current.get(p.giver_id)},
                    prefix=prefix,
                )
            )
    return forms


class _Read:
    """What the item page reads once: attendance, proxies, votes, recusals (``members``: the
    session's member ids, read by the view)."""

    def __init__(self, session, item, user, members: frozenset[int]):
        self.presence = queries.presence_of(session)
        self.proxies = queries.proxies_of(session)
        self.votes = queries.item_votes(item)
        self.recused = {c.member_id for c in item.declarations}  # read by read_item
        self.members = members
        self.is_member = reading.is_member(session, user, members=members)


def item_page(request, session, item, *, members: frozenset[int], status=200, open_form=None, vote_data=None):
    user = request.user
    if item.dossier.campaign_id == session.campaign_id:
        item.dossier.campaign = session.campaign  # one campaign object: its rules are read once
    page = _Read(session, item, user, members)
    presiding = reading.presiding_member_id(item, recused=page.recused)
    chair = presiding is not None and presiding == user.pk
    may_open = (
        chair and session.status == S.SITTING and item.vote_state == AgendaItem.VoteState.PENDING
    ) and not item.outcome
    if presiding == session.chair_id:
        presiding_member = session.chair
    else:
        presiding_member = session.deputy_chair if presiding is not None else None
    context = {
        "presiding": presiding_member,
        "deputy_presides": presiding is not None and presiding == session.deputy_chair_id,
        "conflicts": item.declarations,
        "title": f"{item.dossier.reference} — comité",
        "nav": "comite",
        "session": session,
        "item": item,
        "dossier": item.dossier,
        "summary": queries.item_summary(item),
        "is_member": page.is_member,
        "is_chair": chair,
        "my_presence": page.presence.get(user.pk),
        "votes": page.votes,
        "my_votes": [v for v in page.votes if v.member_id == user.pk],
        "tally": queries.item_tally(item, page.votes, recused=page.recused),
        "quorum": queries.item_quorum(
            item, page.presence, page.proxies, members=page.members, recused=page.recused
        ),
        "vote_forms": _vote_forms(request, session, item, page, vote_data),
        "can_declare": page.is_member
        and item.vote_state == AgendaItem.VoteState.PENDING
        and session.status in (S.PLANNED, S.CONVENED, S.SITTING),
        "chair_can_open": may_open,
        "chair_can_close": chair and item.vote_state == AgendaItem.VoteState.OPEN,
        "chair_can_decide": chair
        and session.status == S.SITTING
        and not item.outcome
        and item.vote_state != AgendaItem.VoteState.OPEN,
        "open_form": open_form or OpenVoteForm(initial={"amount": item.proposed_amount}),
        # the range of the motion, shown with the form that opens the vote (read only then)
        "bounds": award_bounds(item.dossier, item.dossier.rules.params) if may_open else None,
        "envelope_left": envelope.left(session.campaign),
        "documents": list(
            item.dossier.documents.filter(replaced_by__isnull=True).order_by("kind", "-uploaded_at")
        ),
    }
    return render(request, "comite/item.html", context, status=status)
