"""What a member does: read an item, give or withdraw a proxy, declare a conflict, vote."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_POST

from fonds.ui.submit import submitted

from .. import proxies as comite_proxies
from .. import queries, reading
from .. import votes as comite_votes
from ..errors import ComiteRefused
from ..forms import ConflictForm, ProxyForm, VoteForm
from ..models import AgendaItem
from .common import S, area, comite_page, forbidden, item_url, session_url
from .deliberation import item_page_or_refusal


@area
@require_http_methods(["GET", "POST"])
def proxy(request, pk):
    session = queries.session_for(request.user, pk)
    members = queries.members_of(session)
    if not reading.is_member(session, request.user, members=members.ids):
        return forbidden(request, "Seul un membre de la séance donne procuration.")
    form = ProxyForm(request.POST or None, members=members.people, giver=request.user)
    done, status = submitted(
        request,
        form,
        lambda: comite_proxies.give_proxy(
            session, giver=request.user, holder=form.cleaned_data["holder"], by=request.user
        ),
        success=lambda given: f"Procuration donnée à {given.holder.display_name} pour cette séance.",
        then=lambda _: session_url(session, "procurations"),
    )
    if done:
        return done
    return comite_page(
        request,
        "comite/proxy.html",
        "Donner procuration",
        session=session,
        form=form,
        proxies=queries.proxies_of(session),
        allowed=session.status in (S.PLANNED, S.CONVENED, S.SITTING),
        status=status,
    )


@area
@require_POST
def proxy_revoke(request, pk):
    session = queries.session_for(request.user, pk)
    try:
        comite_proxies.revoke_proxy(session, giver=request.user, by=request.user)
    except ComiteRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, "Procuration retirée.")
    return redirect(session_url(session, "procurations"))


@area
def item_detail(request, pk, item_pk):
    session = queries.session_for(request.user, pk)
    return item_page_or_refusal(request, session, item_pk)


@area
@require_http_methods(["GET", "POST"])
def conflict(request, pk, item_pk):
    """Declare a link with the dossier: the member is recused on it (irreversible: confirmed)."""
    session = queries.session_for(request.user, pk)
    item = queries.item_for(session, item_pk)
    if not reading.is_member(session, request.user):
        return forbidden(request, "Seuls les membres de la séance déclarent un conflit d'intérêts.")
    if reading.is_recused(item, request.user):
        messages.info(request, f"Vous êtes déjà déporté sur le dossier {item.dossier.reference}.")
        return redirect(session_url(session, "ordre-du-jour"))
    form = ConflictForm(request.POST or None)
    done, status = submitted(
        request,
        form,
        lambda: comite_proxies.declare_conflict(
            item, member=request.user, reason=form.cleaned_data["reason"], by=request.user
        ),
        success=lambda _: (
            f"Conflit d'intérêts déclaré : vous êtes déporté sur le dossier {item.dossier.reference} "
            "(ni lecture de la délibération, ni vote)."
        ),
        then=lambda _: session_url(session, "ordre-du-jour"),
    )
    if done:
        return done
    return comite_page(
        request,
        "comite/conflict.html",
        "Déclarer un conflit d'intérêts",
        session=session,
        item=item,
        form=form,
        allowed=item.vote_state == AgendaItem.VoteState.PENDING
        and session.status in (S.PLANNED, S.CONVENED, S.SITTING),
        status=status,
    )


def _prefix(request) -> str:
    """The vote form posted: ``moi`` or ``p<giver id>`` (anything else: ``moi``)."""
    prefix = request.POST.get("prefixe") or "moi"
    if prefix != "moi" and not (prefix.startswith("p") and prefix[1:].isdigit()):
        return "moi"
    return prefix


@area
@require_POST
def vote(request, pk, item_pk):
    session = queries.session_for(request.user, pk)
    item = queries.item_for(session, item_pk, bare=True)  # cast_vote locks and reads the item itself
    prefix = _prefix(request)
    form = VoteForm(request.POST, prefix=prefix)
    if not form.is_valid():
        messages.error(request, "Le vote n'est pas enregistré : choisissez pour, contre ou abstention.")
        return item_page_or_refusal(request, session, item_pk, status=400, vote_data=request.POST)
    for_member = None
    if prefix != "moi":
        wanted = int(prefix[1:])
        for_member = next((m for m in queries.members_of(session).people if m.pk == wanted), None)
        if for_member is None:
            messages.error(request, "Ce membre ne siège pas à cette séance.")
            return redirect(item_url(item, "vote"))
    try:
        cast = comite_votes.cast_vote(
            item,
            by=request.user,
            choice=form.cleaned_data["choice"],
            for_member=for_member,
        )
    except ComiteRefused as refused:
        if refused.kind == "recused":
            return comite_page(
                request,
                "comite/recused.html",
                "Vote refusé",
                session=session,
                message=refused.message,
                status=403,
            )
        messages.error(request, refused.message)
        return item_page_or_refusal(
            request, session, item_pk, status=refused.http_status, vote_data=request.POST
        )
    label = cast.get_choice_display()
    whom = f" pour le compte de {for_member.display_name}" if for_member else ""
    messages.success(
        request,
        f"Vote « {label.lower()} » enregistré{whom}. Vous pouvez le modifier tant que le vote est ouvert.",
    )
    return redirect(item_url(item, "vote"))
