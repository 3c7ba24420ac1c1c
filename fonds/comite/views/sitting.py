"""The sitting, led by the chair (and, on the items where the chair is recused, the deputy
chair): attendance, each item's vote and decision, adjournment, closing and the minutes."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from fonds import clock
from fonds.formats import euros
from fonds.instruction.amount import award_bounds
from fonds.ui.files import private_file
from fonds.ui.submit import submitted

from .. import counting, dates, decisions, envelope, queries, reading
from .. import sitting as comite_sitting
from .. import votes as comite_votes
from ..forms import AttendanceForm, ConfirmForm, DecisionForm, OpenVoteForm
from ..models import AgendaItem
from .common import (
    PRESIDING_ONLY,
    S,
    area,
    comite_page,
    confirm_page,
    forbidden,
    is_chair,
    item_url,
    session_url,
    sitting_url,
)
from .deliberation import item_page_or_refusal, read_or_refusal


def _sitting_page(request, session, members, *, status=200, attendance_form=None):
    """The chair's table; ``members``: the session's members (``queries.members_of``)."""
    presence = queries.presence_of(session)
    chair = is_chair(request, session)
    rows = queries.sitting_rows(session, request.user, members=members.ids)
    session_quorum = (
        counting.session_quorum(session, members=members.ids)
        if session.status in (S.CONVENED, S.SITTING)
        else None
    )
    opened = clock.now() >= dates.opens_from(session)
    may_attend = chair and session.status in (S.CONVENED, S.SITTING) and opened
    return comite_page(
        request,
        "comite/sitting.html",
        "Conduite de la séance",
        session=session,
        rows=rows,
        is_chair=chair,
        me=request.user.pk,
        members=[(m, presence.get(m.pk)) for m in members.people],
        proxies=queries.proxies_of(session),
        attendance_form=attendance_form
        or (AttendanceForm(members=members.people, presence=presence) if may_attend else None),
        session_quorum=session_quorum,
        envelope_left=envelope.left(session.campaign),
        opens_from=dates.opens_from(session) if session.status == S.CONVENED else None,
        may_open_now=opened,
        undecided=sum(1 for r in rows if not r.item.outcome),
        can_adjourn=may_attend
        and session.needs_quorum
        and session_quorum is not None
        and not session_quorum.reached,
        can_close=chair and session.status == S.SITTING and rows and all(r.item.outcome for r in rows),
        status=status,
    )


@area
def sitting(request, pk):
    session = queries.session_for(request.user, pk)
    return _sitting_page(request, session, queries.members_of(session))


def _chair_step(request, pk, *, refusal, act, page, form_options, **messages_then):
    """A confirmed step only the chair takes: ``act(session, form)`` on a valid POST (through
    ``submitted``: ``messages_then`` holds its ``then`` and messages), else the confirmation
    page ``page(session, form, status)``; anyone else gets a 403 page."""
    session = queries.session_for(request.user, pk)
    if not is_chair(request, session):
        return forbidden(request, refusal)
    form = ConfirmForm(request.POST or None, **form_options)
    then = messages_then.pop("then")
    done, status = submitted(
        request, form, lambda: act(session, form), then=lambda _: then(session), **messages_then
    )
    return done or page(session, form, status)


@area
@require_http_methods(["GET", "POST"])
def open_sitting(request, pk):
    def page(session, form, status):
        earliest = dates.opens_from(session)
        early = session.status == S.CONVENED and clock.now() < earliest
        return confirm_page(
            request,
            session=session,
            form=form,
            title="Ouvrir la séance",
            cancel_url=sitting_url(session),
            status=status,
            allowed=session.status == S.CONVENED and not early,
            opens_from=earliest if early else None,
            intro="La séance passe « en séance » : l'émargement et les votes deviennent possibles. La "
            "date d'ouverture est celle du procès-verbal et des lettres de décision.",
        )

    return _chair_step(
        request,
        pk,
        refusal="Seul le président de séance ouvre la séance.",
        form_options={"label": "J'ouvre la séance"},
        act=lambda session, _: comite_sitting.open_sitting(session, by=request.user),
        page=page,
        success=lambda _: "Séance ouverte. Tenez l'émargement, puis ouvrez le vote dossier par dossier.",
        then=sitting_url,
    )


@area
@require_POST
def attendance(request, pk):
    session = queries.session_for(request.user, pk)
    if not is_chair(request, session):
        return forbidden(request, "Seul le président de séance tient l'émargement.")
    members = queries.members_of(session)
    form = AttendanceForm(request.POST, members=members.people, presence=queries.presence_of(session))
    done, status = submitted(
        request,
        form,
        lambda: comite_sitting.record_attendance(session, by=request.user, presence=form.presence()),
        success=lambda _: (
            "Émargement enregistré. " + counting.session_quorum(session, members=members.ids).explanation()
        ),
        then=lambda _: sitting_url(session, "emargement"),
    )
    if done:
        return done
    if not form.is_valid():
        messages.error(
            request,
            "L'émargement n'est pas enregistré : "
            + " ".join(form.non_field_errors() or ["corrigez les champs signalés."]),
        )
    return _sitting_page(request, session, members, status=status, attendance_form=form)


@area
@require_POST
def open_vote(request, pk, item_pk):
    session = queries.session_for(request.user, pk)
    item = queries.item_for(session, item_pk)
    if not reading.presides(item, request.user):
        return forbidden(request, PRESIDING_ONLY.format(what="ouvre le vote"))
    form = OpenVoteForm(request.POST)
    done, status = submitted(
        request,
        form,
        lambda: comite_votes.open_vote(
            item,
            by=request.user,
            amount=form.cleaned_data["amount"],
            motivation=form.cleaned_data["motivation"],
        ),
        success=lambda _: f"Vote ouvert sur le dossier {item.dossier.reference}.",
        then=lambda _: item_url(item, "vote"),
    )
    if done:
        return done
    if not form.is_valid():
        messages.error(request, "Le vote n'est pas ouvert : corrigez le montant.")
    return item_page_or_refusal(request, session, item_pk, status=status, open_form=form)


@area
@require_http_methods(["GET", "POST"])
def close_vote(request, pk, item_pk):
    session = queries.session_for(request.user, pk)
    members = queries.members_of(session).ids
    item, refusal = read_or_refusal(request, session, item_pk, members=members)
    if refusal:
        return refusal
    recused = {c.member_id for c in item.declarations}
    if not reading.presides(item, request.user, recused=recused):
        return forbidden(request, PRESIDING_ONLY.format(what="clôt le vote"))
    form = ConfirmForm(
        request.POST or None, label="Je clos le vote : les voix ne pourront plus être modifiées"
    )
    done, status = submitted(
        request,
        form,
        lambda: comite_votes.close_vote(item, by=request.user),
        success=lambda result: f"Vote clos sur le dossier {item.dossier.reference} : {result.explanation()}",
        then=lambda _: reverse("comite:decide", kwargs={"pk": session.pk, "item_pk": item.pk}),
    )
    if done:
        return done
    return confirm_page(
        request,
        session=session,
        item=item,
        form=form,
        title="Clore le vote",
        cancel_url=item_url(item, "vote"),
        status=status,
        allowed=item.vote_state == AgendaItem.VoteState.OPEN,
        tally=queries.item_tally(item, recused=recused),
        quorum=counting.item_quorum(item, recused=recused, members=members),
        intro="Le dépouillement est enregistré ; aucun vote ne peut plus être exprimé ni modifié sur ce "
        "dossier.",
    )


#: what the chair reads once the outcome is recorded, by outcome
DECIDED = {
    AgendaItem.Outcome.APPROVED: "Subvention accordée : {amount}.",
    AgendaItem.Outcome.WAITLISTED: "L'enveloppe ne suffit pas : le dossier est inscrit en liste "
    "complémentaire, dans l'ordre du classement.",
    AgendaItem.Outcome.REJECTED: "Refus enregistré (motivation notifiée au maire).",
    AgendaItem.Outcome.DEFERRED: "Examen ajourné : le dossier repasse « instruit » pour une prochaine "
    "séance.",
}


def _decided(item, *, waitlisted: bool) -> str:
    if (item.outcome == AgendaItem.Outcome.WAITLISTED) != waitlisted:
        return ""
    text = DECIDED[item.outcome].format(amount=euros(item.decided_amount or 0))
    return f"{item.dossier.reference} — {text}"


@area
@require_http_methods(["GET", "POST"])
def decide(request, pk, item_pk):
    session = queries.session_for(request.user, pk)
    unpresided = queries.item_for(session, item_pk)
    defer_only = reading.may_defer_unpresided(unpresided, request.user)
    if defer_only:
        # nobody may preside over this item: the (recused) chair may only defer it, without reading it
        item, refusal = unpresided, None
    else:
        item, refusal = read_or_refusal(request, session, item_pk, members=queries.members_of(session).ids)
    if refusal:
        return refusal
    if not (
        defer_only or reading.presides(item, request.user, recused={c.member_id for c in item.declarations})
    ):
        return forbidden(request, PRESIDING_ONLY.format(what="enregistre la décision"))
    tally = queries.item_tally(item)
    initial = {"amount": item.amount}
    if tally is not None and item.vote_state == AgendaItem.VoteState.CLOSED:
        initial["outcome"] = "approve" if tally.adopted else "reject"
    form = DecisionForm(request.POST or None, initial=initial)
    done, status = submitted(
        request,
        form,
        lambda: decisions.decide(
            item,
            by=request.user,
            outcome=form.cleaned_data["outcome"],
            amount=form.cleaned_data["amount"] if form.cleaned_data["outcome"] == "approve" else None,
            motivation=form.cleaned_data["motivation"],
        ),
        success=lambda decided: _decided(decided, waitlisted=False),
        warning=lambda decided: _decided(decided, waitlisted=True),
        then=lambda _: sitting_url(session, f"point-{item.pk}"),
    )
    if done:
        return done
    return comite_page(
        request,
        "comite/decide.html",
        f"Décision — {item.dossier.reference}",
        session=session,
        item=item,
        form=form,
        tally=tally,
        defer_only=defer_only,
        allowed=session.status == S.SITTING
        and not item.outcome
        and item.vote_state != AgendaItem.VoteState.OPEN,
        envelope_left=envelope.left(session.campaign),
        bounds=None if defer_only else award_bounds(item.dossier, item.dossier.rules.params),
        status=status,
    )


@area
@require_http_methods(["GET", "POST"])
def adjourn(request, pk):
    def page(session, form, status):
        quorum = counting.session_quorum(session, members=queries.members_of(session).ids)
        return confirm_page(
            request,
            session=session,
            form=form,
            title="Ajourner la séance (quorum non atteint)",
            submit="Ajourner la séance",
            cancel_url=sitting_url(session),
            status=status,
            allowed=session.status in (S.CONVENED, S.SITTING)
            and session.needs_quorum
            and not quorum.reached
            and clock.now() >= dates.opens_from(session),
            quorum=quorum,
            intro="Sans quorum, le comité ne peut pas délibérer. Un administrateur convoquera une nouvelle "
            "séance sur le même ordre du jour, qui délibérera sans condition de quorum.",
        )

    return _chair_step(
        request,
        pk,
        refusal="Seul le président de séance ajourne la séance.",
        form_options={
            "label": "J'ajourne la séance faute de quorum",
            "motivation": "Observations (facultatif)",
        },
        act=lambda session, form: comite_sitting.adjourn(
            session, by=request.user, motivation=form.cleaned_data.get("motivation", "")
        ),
        page=page,
        warning=lambda _: (
            "Séance ajournée faute de quorum. Les dossiers non décidés restent « en comité » ; la séance "
            "suivante sur le même ordre du jour délibérera sans condition de quorum."
        ),
        then=session_url,
    )


@area
@require_http_methods(["GET", "POST"])
def close(request, pk):
    def page(session, form, status):
        rows = queries.agenda_rows(session, request.user)
        undecided = [r.item for r in rows if not r.item.outcome]
        return confirm_page(
            request,
            session=session,
            form=form,
            title="Clore la séance",
            cancel_url=sitting_url(session),
            status=status,
            allowed=session.status == S.SITTING and not undecided,
            undecided=undecided,
            intro="La clôture est définitive : le procès-verbal (PDF) est établi avec l'émargement, les "
            "procurations, les déports, les votes et les décisions ; une lettre de décision est envoyée "
            "au maire de chaque commune.",
        )

    return _chair_step(
        request,
        pk,
        refusal="Seul le président de séance clôt la séance.",
        form_options={
            "label": "Je clos la séance : le procès-verbal est établi et les décisions sont notifiées"
        },
        act=lambda session, _: decisions.close_session(session, by=request.user),
        page=page,
        success=lambda _: (
            "Séance close : le procès-verbal est établi et son empreinte inscrite dans la piste "
            "d'audit ; les lettres de décision partent aux maires."
        ),
        then=lambda session: session_url(session, "proces-verbal"),
    )


@area
def minutes(request, pk):
    """The minutes PDF: only to whoever may open the session, never from a public URL."""
    session = queries.session_for(request.user, pk)
    if session.status != S.CLOSED or session.minutes_id is None:
        raise Http404("Le procès-verbal n'est établi qu'à la clôture de la séance.")
    day = session.sitting_date or timezone.localdate(session.starts_at)
    return private_file(
        session.minutes.file,
        content_type="application/pdf",
        as_attachment=True,
        filename=f"proces-verbal-comite-{day:%Y-%m-%d}-{session.pk}.pdf",
    )
