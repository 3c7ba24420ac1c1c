"""Comité d'attribution pages (DSFR, French): thin views over ``fonds.comite.services`` (every
change) and ``fonds.comite.queries`` (every read).

Who comes here: committee members, administrators and auditors (read only: any POST is a 403).
Everybody else — porteurs, instructors, finance staff — gets a 403 page *before* any session is
looked up. A session is a 404 for a committee member who does not sit on it. A member recused on a
dossier is refused its deliberation and votes (403, and the services audit the attempt).

* administrators: sessions list, create a session, build the agenda, send the convocation;
* members: my sessions, the agenda, each dossier's summary (grid, opinion, proposed amount),
  conflict declarations, proxy, vote while the item's vote is open;
* the chair: the sitting page (attendance, quorum per dossier, open/close each vote, tally,
  decision), adjournment without quorum, closing → minutes PDF.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from fonds import clock
from fonds.accounts.roles import Role, roles_of
from fonds.dossiers.access import visible_dossiers
from fonds.formats import euros
from fonds.instruction.amount import award_bounds
from fonds.ui.areas import role_area
from fonds.ui.submit import submitted

from . import composition, queries, services
from .forms import (
    AttendanceForm,
    ConfirmForm,
    ConflictForm,
    DecisionForm,
    DeputyChairForm,
    OpenVoteForm,
    ProxyForm,
    RescheduleForm,
    SessionForm,
    VoteForm,
)
from .models import AgendaItem, Attendance, Session
from .services import ComiteRefused

S = Session.Status
WRITE_ROLES = frozenset({Role.COMITE, Role.ADMIN})


#: committee members, administrators, auditors (GET/HEAD only); otherwise a 403 page
_area = role_area(
    read=queries.AREA_ROLES,
    write=WRITE_ROLES,
    template="comite/forbidden.html",
    context={"nav": "comite"},
    flags={"is_admin": lambda roles: Role.ADMIN in roles},
)


def _forbidden(request, message: str, *, status: int = 403):
    return render(
        request,
        "comite/forbidden.html",
        {"title": "Action réservée", "nav": "comite", "message": message},
        status=status,
    )


def _is_chair(request, session) -> bool:
    return request.user.pk == session.chair_id


def _presides(request, item) -> bool:
    """The user presides over this item (the chair, or the deputy chair when the chair is recused)."""
    return services.presides(item, request.user)


def _session_url(session, anchor: str = "") -> str:
    return reverse("comite:session", args=[session.pk]) + (f"#{anchor}" if anchor else "")


def _sitting_url(session, anchor: str = "") -> str:
    return reverse("comite:sitting", args=[session.pk]) + (f"#{anchor}" if anchor else "")


def _item_url(item, anchor: str = "") -> str:
    return reverse("comite:item", args=[item.session_id, item.pk]) + (f"#{anchor}" if anchor else "")


def _confirm_page(request, *, session, form, title, submit, cancel_url, item=None, status=200, **extra):
    context = {
        "title": title,
        "nav": "comite",
        "session": session,
        "item": item,
        "form": form,
        "submit_label": submit,
        "cancel_url": cancel_url,
        **extra,
    }
    return render(request, "comite/confirm.html", context, status=status)


# ---- lists and preparation (administrators) -----------------------------------------------------


@_area
def session_list(request):
    sessions = list(queries.sessions_for(request.user)[:200])
    all_sessions = bool(roles_of(request.user) & queries.ALL_SESSIONS_ROLES)
    return render(
        request,
        "comite/sessions.html",
        {
            "title": "Séances du comité" if all_sessions else "Mes séances du comité",
            "nav": "comite",
            "sessions": sessions,
            "all_sessions": all_sessions,
            "can_create": request.is_admin,
        },
    )


@_area
def envelope_list(request):
    """Envelopes and waiting lists (liste complémentaire) in ranking order; an administrator
    promotes through the dossier's own "promote" transition page. A dossier the reader may not
    see (a member recused on it: its outcome is part of the deliberation) is left out; the others
    keep their rank."""
    envelopes = queries.envelopes()
    listed = [row.dossier.pk for env in envelopes for row in env.waiting]
    visible = (
        set(visible_dossiers(request.user).filter(pk__in=listed).values_list("pk", flat=True))
        if listed
        else set()
    )
    for env in envelopes:
        for rank, row in enumerate(env.waiting, start=1):
            row.rank = rank
        env.waiting = [row for row in env.waiting if row.dossier.pk in visible]
    context = {
        "title": "Enveloppes et liste complémentaire",
        "nav": "comite",
        "envelopes": envelopes,
        "is_admin": request.is_admin,
    }
    return render(request, "comite/envelopes.html", context)


def _campaign_from(request):
    """The campaign named by ``?campagne=`` (GET) or the form's ``campaign`` (POST), if any."""
    from fonds.referentiel.models import Campaign

    raw = request.POST.get("campaign") if request.method == "POST" else request.GET.get("campagne")
    try:
        return Campaign.objects.filter(pk=int(raw)).first() if raw else None
    except (TypeError, ValueError):
        return None


@_area
@require_http_methods(["GET", "POST"])
def session_create(request):
    if not request.is_admin:
        return _forbidden(request, "Seul un administrateur du fonds crée une séance du comité.")
    campaign = _campaign_from(request)
    form = SessionForm(request.POST or None, campaign=campaign)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                session = services.create_session(
                    data["campaign"],
                    by=request.user,
                    starts_at=data["starts_at"],
                    chair=data["chair"],
                    place=data["place"],
                    video_link=data["video_link"],
                    follows=data["follows"],
                    deputy_chair=data.get("deputy_chair"),
                )
            except ComiteRefused as refused:
                messages.error(request, refused.message)
                status = refused.http_status
            else:
                messages.success(
                    request,
                    f"Séance du {timezone.localtime(session.starts_at):%d/%m/%Y à %H:%M} créée : elle convoquera les "
                    f"{session.members.count()} membres de la composition du comité."
                    + (
                        " Elle reprend l'ordre du jour de la séance ajournée."
                        if session.follows_id
                        else " Établissez maintenant l'ordre du jour."
                    ),
                )
                return redirect(_session_url(session))
        else:
            status = 400
    context = {
        "title": "Nouvelle séance du comité",
        "nav": "comite",
        "form": form,
        "campaign": campaign,
        "members": composition.composition(campaign) if campaign is not None else None,
        "default_composition": composition.is_default(campaign) if campaign is not None else None,
        "min_days": services.min_days(campaign) if campaign is not None else None,
    }
    return render(request, "comite/session_form.html", context, status=status)


@_area
@require_http_methods(["GET", "POST"])
def reschedule(request, pk):
    """An administrator moves a session not yet convened to another date."""
    session = queries.session_for(request.user, pk)
    if not request.is_admin:
        return _forbidden(request, "Seul un administrateur du fonds change la date d'une séance.")
    initial = {"starts_at": timezone.localtime(session.starts_at).strftime("%Y-%m-%dT%H:%M")}
    form = RescheduleForm(request.POST or None, initial=initial)
    done, status = submitted(
        request,
        form,
        lambda: services.reschedule_session(
            session, by=request.user, starts_at=form.cleaned_data["starts_at"]
        ),
        success=lambda s: (
            f"La séance est désormais fixée au {timezone.localtime(s.starts_at):%d/%m/%Y à %H:%M}."
        ),
        then=lambda _: _session_url(session),
    )
    if done:
        return done
    return render(
        request,
        "comite/reschedule.html",
        {
            "title": "Changer la date de la séance",
            "nav": "comite",
            "session": session,
            "form": form,
            "allowed": session.status == S.PLANNED,
            "min_days": services.min_days(session),
        },
        status=status,
    )


@_area
def session_detail(request, pk):
    session = queries.session_for(request.user, pk)
    from . import envelope

    members = queries.members_of(session)
    proxies = queries.proxies_of(session)
    user = request.user
    is_member = services.is_member(session, user)
    given = next((p for p in proxies if p.giver_id == user.pk), None)
    held = next((p for p in proxies if p.holder_id == user.pk), None)
    rows = queries.agenda_rows(session, user)
    events, older_events = queries.session_events(session, rows)
    return render(
        request,
        "comite/session.html",
        {
            "title": f"Séance du {timezone.localtime(session.starts_at):%d/%m/%Y}",
            "nav": "comite",
            "session": session,
            "members": members,
            "proxies": proxies,
            "rows": rows,
            "events": events,
            "older_events": older_events,
            "references": {str(r.item.pk): r.item.dossier.reference for r in rows},
            "is_member": is_member,
            "is_chair": _is_chair(request, session),
            "is_admin": request.is_admin,
            "given": given,
            "held": held,
            "envelope_left": envelope.left(session.campaign),
            "can_prepare": request.is_admin and session.status == S.PLANNED,
            "opens_from": services.opens_from(session) if session.status == S.CONVENED else None,
            "can_change_deputy": request.is_admin and session.status in (S.PLANNED, S.CONVENED),
            "open_session": session.status in (S.PLANNED, S.CONVENED, S.SITTING),
        },
    )


@_area
@require_http_methods(["GET", "POST"])
def agenda(request, pk):
    """The ranked list of instructed dossiers ``build_agenda`` would add, then the build (it
    schedules each dossier: a confirmation)."""
    session = queries.session_for(request.user, pk)
    if not request.is_admin:
        return _forbidden(request, "Seul un administrateur du fonds établit l'ordre du jour.")
    form = ConfirmForm(request.POST or None, label="Je confirme inscrire ces dossiers à l'ordre du jour")
    done, status = submitted(
        request,
        form,
        lambda: services.build_agenda(session, by=request.user),
        success=lambda created: (
            f"{len(created)} dossier(s) inscrit(s) à l'ordre du jour, classés par note puis population."
            if created
            else "Aucun nouveau dossier instruit à inscrire."
        ),
        then=lambda _: _session_url(session, "ordre-du-jour"),
    )
    if done:
        return done
    candidates = list(queries.agenda_candidates(session))
    return render(
        request,
        "comite/agenda.html",
        {
            "title": "Établir l'ordre du jour",
            "nav": "comite",
            "session": session,
            "candidates": candidates,
            "form": form,
            "current": queries.agenda_rows(session, request.user),
            "allowed": session.status == S.PLANNED and not session.follows_id,
        },
        status=status,
    )


@_area
@require_http_methods(["GET", "POST"])
def convocation(request, pk):
    session = queries.session_for(request.user, pk)
    if not request.is_admin:
        return _forbidden(request, "Seul un administrateur du fonds envoie la convocation.")
    too_soon = (
        services.convocation_refusal(session.starts_at, session.campaign)
        if session.status == S.PLANNED
        else ""
    )
    form = ConfirmForm(request.POST or None, label="Je confirme l'envoi de la convocation")
    status = 409 if too_soon and request.method == "POST" else 200
    if request.method == "POST" and not too_soon:
        if form.is_valid():
            try:
                result = services.send_convocation(session, by=request.user)
            except ComiteRefused as refused:
                messages.error(request, refused.message)
                status = refused.http_status
            else:
                messages.success(
                    request,
                    f"Convocation envoyée aux {len(result.recipients)} membres de la composition du comité, avec l'ordre du jour. "
                    "La liste des membres de la séance est désormais arrêtée.",
                )
                return redirect(_session_url(session))
        else:
            status = 400
    items = list(session.items.select_related("dossier__commune").order_by("rank"))
    members = (
        composition.composition(session.campaign)
        if session.status == S.PLANNED
        else queries.members_of(session)
    )
    return _confirm_page(
        request,
        session=session,
        form=form,
        title="Envoyer la convocation",
        submit="Envoyer la convocation",
        cancel_url=_session_url(session),
        too_soon=too_soon,
        status=status,
        allowed=session.status == S.PLANNED and bool(items) and not too_soon,
        agenda_items=items,
        members=members,
        can_reschedule=session.status == S.PLANNED,
        intro="Chaque membre de la composition du comité de la campagne reçoit par courriel la date, le lieu ou le lien de la séance et "
        "l'ordre du jour. L'ordre du jour et la liste des membres ne peuvent plus être modifiés ensuite.",
    )


@_area
@require_http_methods(["GET", "POST"])
def deputy_chair(request, pk):
    """An administrator sets, changes or removes the deputy chair before the session sits."""
    session = queries.session_for(request.user, pk)
    if not request.is_admin:
        return _forbidden(
            request, "Seul un administrateur du fonds désigne le président de séance suppléant."
        )
    members = queries.members_of(session)
    form = DeputyChairForm(
        request.POST or None,
        members=members,
        chair_id=session.chair_id,
        initial={"deputy_chair": session.deputy_chair_id},
    )
    done, status = submitted(
        request,
        form,
        lambda: services.change_deputy_chair(
            session, by=request.user, deputy_chair=form.cleaned_data["deputy_chair"]
        ),
        success=lambda s: (
            (
                f"Président de séance suppléant : {s.deputy_chair.get_full_name() or s.deputy_chair.email}."
                if s.deputy_chair
                else "La séance n'a plus de président de séance suppléant."
            )
            + (" La convocation déjà envoyée n'est pas renvoyée." if s.status == S.CONVENED else "")
        ),
        then=lambda _: _session_url(session, "procurations"),
    )
    if done:
        return done
    return render(
        request,
        "comite/deputy_chair.html",
        {
            "title": "Président de séance suppléant",
            "nav": "comite",
            "session": session,
            "form": form,
            "allowed": session.status in (S.PLANNED, S.CONVENED),
        },
        status=status,
    )


# ---- members: proxy, agenda items, conflicts, votes --------------------------------------------


@_area
@require_http_methods(["GET", "POST"])
def proxy(request, pk):
    session = queries.session_for(request.user, pk)
    if not services.is_member(session, request.user):
        return _forbidden(request, "Seul un membre de la séance donne procuration.")
    members = queries.members_of(session)
    form = ProxyForm(request.POST or None, members=members, giver=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                given = services.give_proxy(
                    session, giver=request.user, holder=form.cleaned_data["holder"], by=request.user
                )
            except ComiteRefused as refused:
                messages.error(request, refused.message)
                status = refused.http_status
            else:
                holder = given.holder.get_full_name() or given.holder.email
                messages.success(request, f"Procuration donnée à {holder} pour cette séance.")
                return redirect(_session_url(session, "procurations"))
        else:
            status = 400
    return render(
        request,
        "comite/proxy.html",
        {
            "title": "Donner procuration",
            "nav": "comite",
            "session": session,
            "form": form,
            "proxies": queries.proxies_of(session),
            "allowed": session.status in (S.PLANNED, S.CONVENED, S.SITTING),
        },
        status=status,
    )


@_area
@require_POST
def proxy_revoke(request, pk):
    session = queries.session_for(request.user, pk)
    try:
        services.revoke_proxy(session, giver=request.user, by=request.user)
    except ComiteRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, "Procuration retirée.")
    return redirect(_session_url(session, "procurations"))


def _read(request, session, item_pk):
    """The item through ``services.read_item`` (recused members refused and audited)."""
    item = queries.item_for(session, item_pk)
    try:
        item = services.read_item(item, by=request.user)
    except ComiteRefused as refused:
        if refused.kind == "not_found":
            raise Http404(refused.message)
        return None, render(
            request,
            "comite/recused.html" if refused.kind == "recused" else "comite/forbidden.html",
            {"title": "Accès refusé", "nav": "comite", "session": session, "message": refused.message},
            status=refused.http_status,
        )
    item.session = session
    return item, None


def _vote_forms(request, session, item, presence, proxies, votes, data=None):
    """The vote forms this user may fill now: their own (prefix ``moi``), and one per member whose
    proxy they hold and who is absent (prefix ``p<id>``). ``data`` (a refused POST) is bound to
    the form it came from, so that nothing typed is lost."""
    user = request.user
    if (
        item.vote_state != AgendaItem.VoteState.OPEN
        or session.status != S.SITTING
        or not services.is_member(session, user)
    ):
        return []
    if presence.get(user.pk) != Attendance.Presence.PRESENT:
        return []
    posted = data.get("prefixe") if data is not None else None
    current = {v.elector_id: v.choice for v in votes}
    forms = [
        VoteForm(
            data if posted == "moi" else None,
            label="Votre vote",
            initial={"choice": current.get(user.pk)},
            prefix="moi",
        )
    ]
    recused = services.recused_member_ids(item)
    for p in proxies:
        if (
            p.holder_id == user.pk
            and presence.get(p.giver_id) != Attendance.Presence.PRESENT
            and p.giver_id not in recused
        ):
            name = p.giver.get_full_name() or p.giver.email
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


def _item_page(request, session, item, *, status=200, open_form=None, vote_data=None):
    from . import envelope

    user = request.user
    if item.dossier.campaign_id == session.campaign_id:
        item.dossier.campaign = (
            session.campaign
        )  # one campaign object: its rule set is read once (summary and quorum)
    presence = queries.presence_of(session)
    proxies = queries.proxies_of(session)
    votes = queries.item_votes(item)
    conflicts = item.declarations  # read by services.read_item, with their members
    item._recused_ids = {c.member_id for c in conflicts}  # read once for the page
    presiding = services.presiding_member_id(item)
    chair = presiding is not None and presiding == user.pk
    context = {
        "presiding": session.chair
        if presiding == session.chair_id
        else (session.deputy_chair if presiding is not None else None),
        "deputy_presides": presiding is not None and presiding == session.deputy_chair_id,
        "conflicts": conflicts,
        "title": f"{item.dossier.reference} — comité",
        "nav": "comite",
        "session": session,
        "item": item,
        "dossier": item.dossier,
        "summary": queries.item_summary(item),
        "is_member": services.is_member(session, user),
        "is_chair": chair,
        "my_presence": presence.get(user.pk),
        "votes": votes,
        "my_votes": [v for v in votes if v.member_id == user.pk],
        "tally": queries.item_tally(item, votes),
        "quorum": queries.item_quorum(item, presence, proxies),
        "vote_forms": _vote_forms(request, session, item, presence, proxies, votes, vote_data),
        "can_declare": services.is_member(session, user)
        and item.vote_state == AgendaItem.VoteState.PENDING
        and session.status in (S.PLANNED, S.CONVENED, S.SITTING),
        "chair_can_open": chair
        and session.status == S.SITTING
        and item.vote_state == AgendaItem.VoteState.PENDING
        and not item.outcome,
        "chair_can_close": chair and item.vote_state == AgendaItem.VoteState.OPEN,
        "chair_can_decide": chair
        and session.status == S.SITTING
        and not item.outcome
        and item.vote_state != AgendaItem.VoteState.OPEN,
        "open_form": open_form or OpenVoteForm(initial={"amount": item.proposed_amount}),
        # the range of the motion, shown with the form that opens the vote (read only then)
        "bounds": (
            award_bounds(item.dossier, session.campaign.rules.params)
            if chair
            and session.status == S.SITTING
            and item.vote_state == AgendaItem.VoteState.PENDING
            and not item.outcome
            else None
        ),
        "envelope_left": envelope.left(session.campaign),
        "documents": list(
            item.dossier.documents.filter(replaced_by__isnull=True).order_by("kind", "-uploaded_at")
        ),
    }
    return render(request, "comite/item.html", context, status=status)


@_area
def item_detail(request, pk, item_pk):
    session = queries.session_for(request.user, pk)
    item, refusal = _read(request, session, item_pk)
    if refusal:
        return refusal
    return _item_page(request, session, item)


@_area
@require_http_methods(["GET", "POST"])
def conflict(request, pk, item_pk):
    """Declare a link with the dossier: the member is recused on it (irreversible: a confirmation)."""
    session = queries.session_for(request.user, pk)
    item = queries.item_for(session, item_pk)
    if not services.is_member(session, request.user):
        return _forbidden(request, "Seuls les membres de la séance déclarent un conflit d'intérêts.")
    if services.is_recused(item, request.user):
        messages.info(request, f"Vous êtes déjà déporté sur le dossier {item.dossier.reference}.")
        return redirect(_session_url(session, "ordre-du-jour"))
    form = ConflictForm(request.POST or None)
    done, status = submitted(
        request,
        form,
        lambda: services.declare_conflict(
            item, member=request.user, reason=form.cleaned_data["reason"], by=request.user
        ),
        success=lambda _: (
            f"Conflit d'intérêts déclaré : vous êtes déporté sur le dossier {item.dossier.reference} (ni lecture de la délibération, ni vote)."
        ),
        then=lambda _: _session_url(session, "ordre-du-jour"),
    )
    if done:
        return done
    return render(
        request,
        "comite/conflict.html",
        {
            "title": "Déclarer un conflit d'intérêts",
            "nav": "comite",
            "session": session,
            "item": item,
            "form": form,
            "allowed": item.vote_state == AgendaItem.VoteState.PENDING
            and session.status in (S.PLANNED, S.CONVENED, S.SITTING),
        },
        status=status,
    )


@_area
@require_POST
def vote(request, pk, item_pk):
    session = queries.session_for(request.user, pk)
    item = queries.item_for(session, item_pk, bare=True)  # cast_vote locks and reads the item itself
    prefix = request.POST.get("prefixe") or "moi"
    if prefix != "moi" and not (prefix.startswith("p") and prefix[1:].isdigit()):
        prefix = "moi"
    form = VoteForm(request.POST, prefix=prefix)
    if not form.is_valid():
        messages.error(request, "Le vote n'est pas enregistré : choisissez pour, contre ou abstention.")
        readable, refusal = _read(request, session, item_pk)
        return refusal or _item_page(request, session, readable, status=400, vote_data=request.POST)
    for_member = None
    if prefix != "moi":
        wanted = int(prefix[1:])
        for_member = next((m for m in queries.members_of(session) if m.pk == wanted), None)
        if for_member is None:
            messages.error(request, "Ce membre ne siège pas à cette séance.")
            return redirect(_item_url(item, "vote"))
    try:
        cast = services.cast_vote(
            item, by=request.user, choice=form.cleaned_data["choice"], for_member=for_member
        )
    except ComiteRefused as refused:
        if refused.kind == "recused":
            return render(
                request,
                "comite/recused.html",
                {"title": "Vote refusé", "nav": "comite", "session": session, "message": refused.message},
                status=403,
            )
        messages.error(request, refused.message)
        readable, refusal = _read(request, session, item_pk)
        return refusal or _item_page(
            request, session, readable, status=refused.http_status, vote_data=request.POST
        )
    label = cast.get_choice_display()
    whom = f" pour le compte de {for_member.get_full_name() or for_member.email}" if for_member else ""
    messages.success(
        request,
        f"Vote « {label.lower()} » enregistré{whom}. Vous pouvez le modifier tant que le vote est ouvert.",
    )
    return redirect(_item_url(item, "vote"))


# ---- the sitting (the chair) ----------------------------------------------------------------------


def _sitting_page(request, session, *, status=200, attendance_form=None):
    from . import envelope

    members = queries.members_of(session)
    presence = queries.presence_of(session)
    chair = _is_chair(request, session)
    rows = queries.sitting_rows(session, request.user)
    session_quorum = services.session_quorum(session) if session.status in (S.CONVENED, S.SITTING) else None
    return render(
        request,
        "comite/sitting.html",
        {
            "title": "Conduite de la séance",
            "nav": "comite",
            "session": session,
            "rows": rows,
            "is_chair": chair,
            "me": request.user.pk,
            "members": [(m, presence.get(m.pk)) for m in members],
            "proxies": queries.proxies_of(session),
            "attendance_form": attendance_form
            or (
                AttendanceForm(members=members, presence=presence)
                if chair
                and session.status in (S.CONVENED, S.SITTING)
                and clock.now() >= services.opens_from(session)
                else None
            ),
            "session_quorum": session_quorum,
            "envelope_left": envelope.left(session.campaign),
            "opens_from": services.opens_from(session) if session.status == S.CONVENED else None,
            "may_open_now": clock.now() >= services.opens_from(session),
            "undecided": sum(1 for r in rows if not r.item.outcome),
            "can_adjourn": chair
            and session.status in (S.CONVENED, S.SITTING)
            and session.needs_quorum
            and session_quorum is not None
            and not session_quorum.reached
            and clock.now() >= services.opens_from(session),
            "can_close": chair and session.status == S.SITTING and rows and all(r.item.outcome for r in rows),
        },
        status=status,
    )


@_area
def sitting(request, pk):
    session = queries.session_for(request.user, pk)
    return _sitting_page(request, session)


@_area
@require_http_methods(["GET", "POST"])
def open_sitting(request, pk):
    session = queries.session_for(request.user, pk)
    if not _is_chair(request, session):
        return _forbidden(request, "Seul le président de séance ouvre la séance.")
    form = ConfirmForm(request.POST or None, label="J'ouvre la séance")
    done, status = submitted(
        request,
        form,
        lambda: services.open_sitting(session, by=request.user),
        success=lambda _: "Séance ouverte. Tenez l'émargement, puis ouvrez le vote dossier par dossier.",
        then=lambda _: _sitting_url(session),
    )
    if done:
        return done
    earliest = services.opens_from(session)
    early = session.status == S.CONVENED and clock.now() < earliest
    return _confirm_page(
        request,
        session=session,
        form=form,
        title="Ouvrir la séance",
        submit="Ouvrir la séance",
        cancel_url=_sitting_url(session),
        status=status,
        allowed=session.status == S.CONVENED and not early,
        opens_from=earliest if early else None,
        intro="La séance passe « en séance » : l'émargement et les votes deviennent possibles. La date d'ouverture est celle "
        "du procès-verbal et des lettres de décision.",
    )


@_area
@require_POST
def attendance(request, pk):
    session = queries.session_for(request.user, pk)
    if not _is_chair(request, session):
        return _forbidden(request, "Seul le président de séance tient l'émargement.")
    members = queries.members_of(session)
    form = AttendanceForm(request.POST, members=members, presence=queries.presence_of(session))
    if not form.is_valid():
        messages.error(
            request,
            "L'émargement n'est pas enregistré : "
            + " ".join(form.non_field_errors() or ["corrigez les champs signalés."]),
        )
        return _sitting_page(request, session, status=400, attendance_form=form)
    try:
        services.record_attendance(session, by=request.user, presence=form.presence())
    except ComiteRefused as refused:
        messages.error(request, refused.message)
        return _sitting_page(request, session, status=refused.http_status, attendance_form=form)
    result = services.session_quorum(session)
    messages.success(request, "Émargement enregistré. " + result.explanation())
    return redirect(_sitting_url(session, "emargement"))


@_area
@require_POST
def open_vote(request, pk, item_pk):
    session = queries.session_for(request.user, pk)
    item = queries.item_for(session, item_pk)
    if not _presides(request, item):
        return _forbidden(
            request,
            "Seul le membre qui préside ce point (le président de séance, ou son suppléant si le président est déporté) ouvre le vote.",
        )
    form = OpenVoteForm(request.POST)
    if form.is_valid():
        try:
            services.open_vote(
                item,
                by=request.user,
                amount=form.cleaned_data["amount"],
                motivation=form.cleaned_data["motivation"],
            )
        except ComiteRefused as refused:
            messages.error(request, refused.message)
            status = refused.http_status
        else:
            messages.success(request, f"Vote ouvert sur le dossier {item.dossier.reference}.")
            return redirect(_item_url(item, "vote"))
    else:
        messages.error(request, "Le vote n'est pas ouvert : corrigez le montant.")
        status = 400
    readable, refusal = _read(request, session, item_pk)
    return refusal or _item_page(request, session, readable, status=status, open_form=form)


@_area
@require_http_methods(["GET", "POST"])
def close_vote(request, pk, item_pk):
    session = queries.session_for(request.user, pk)
    item, refusal = _read(request, session, item_pk)
    if refusal:
        return refusal
    if not _presides(request, item):
        return _forbidden(
            request,
            "Seul le membre qui préside ce point (le président de séance, ou son suppléant si le président est déporté) clôt le vote.",
        )
    form = ConfirmForm(
        request.POST or None, label="Je clos le vote : les voix ne pourront plus être modifiées"
    )
    done, status = submitted(
        request,
        form,
        lambda: services.close_vote(item, by=request.user),
        success=lambda result: f"Vote clos sur le dossier {item.dossier.reference} : {result.explanation()}",
        then=lambda result: reverse("comite:decide", kwargs={"pk": session.pk, "item_pk": item.pk}),
    )
    if done:
        return done
    return _confirm_page(
        request,
        session=session,
        item=item,
        form=form,
        title="Clore le vote",
        submit="Clore le vote",
        cancel_url=_item_url(item, "vote"),
        status=status,
        allowed=item.vote_state == AgendaItem.VoteState.OPEN,
        tally=queries.item_tally(item),
        quorum=services.item_quorum(item),
        intro="Le dépouillement est enregistré ; aucun vote ne peut plus être exprimé ni modifié sur ce dossier.",
    )


@_area
@require_http_methods(["GET", "POST"])
def decide(request, pk, item_pk):
    session = queries.session_for(request.user, pk)
    unpresided = queries.item_for(session, item_pk)
    if services.may_defer_unpresided(unpresided, request.user):
        # nobody may preside over this item: the (recused) chair may only defer it, without reading it
        item, refusal = unpresided, None
    else:
        item, refusal = _read(request, session, item_pk)
    if refusal:
        return refusal
    if not (_presides(request, item) or services.may_defer_unpresided(item, request.user)):
        return _forbidden(
            request,
            "Seul le membre qui préside ce point (le président de séance, ou son suppléant si le président est déporté) enregistre la décision.",
        )
    tally = queries.item_tally(item)
    initial = {"amount": item.amount}
    if tally is not None and item.vote_state == AgendaItem.VoteState.CLOSED:
        initial["outcome"] = "approve" if tally.adopted else "reject"
    form = DecisionForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                decided = services.decide(
                    item,
                    by=request.user,
                    outcome=data["outcome"],
                    amount=data["amount"] if data["outcome"] == "approve" else None,
                    motivation=data["motivation"],
                )
            except ComiteRefused as refused:
                messages.error(request, refused.message)
                status = refused.http_status
            else:
                text = {
                    AgendaItem.Outcome.APPROVED: f"Subvention accordée : {euros(decided.decided_amount or 0)}.",
                    AgendaItem.Outcome.WAITLISTED: "L'enveloppe ne suffit pas : le dossier est inscrit en liste complémentaire, dans l'ordre du classement.",
                    AgendaItem.Outcome.REJECTED: "Refus enregistré (motivation notifiée au maire).",
                    AgendaItem.Outcome.DEFERRED: "Examen ajourné : le dossier repasse « instruit » pour une prochaine séance.",
                }[decided.outcome]
                (messages.warning if decided.outcome == AgendaItem.Outcome.WAITLISTED else messages.success)(
                    request, f"{item.dossier.reference} — {text}"
                )
                return redirect(_sitting_url(session, f"point-{item.pk}"))
        else:
            status = 400
    from . import envelope

    return render(
        request,
        "comite/decide.html",
        {
            "title": f"Décision — {item.dossier.reference}",
            "nav": "comite",
            "session": session,
            "item": item,
            "form": form,
            "tally": tally,
            "defer_only": services.may_defer_unpresided(item, request.user),
            "allowed": session.status == S.SITTING
            and not item.outcome
            and item.vote_state != AgendaItem.VoteState.OPEN,
            "envelope_left": envelope.left(session.campaign),
            "bounds": None
            if services.may_defer_unpresided(item, request.user)
            else award_bounds(item.dossier, session.campaign.rules.params),
        },
        status=status,
    )


@_area
@require_http_methods(["GET", "POST"])
def adjourn(request, pk):
    session = queries.session_for(request.user, pk)
    if not _is_chair(request, session):
        return _forbidden(request, "Seul le président de séance ajourne la séance.")
    form = ConfirmForm(
        request.POST or None,
        label="J'ajourne la séance faute de quorum",
        motivation="Observations (facultatif)",
    )
    done, status = submitted(
        request,
        form,
        lambda: services.adjourn(
            session, by=request.user, motivation=form.cleaned_data.get("motivation", "")
        ),
        warning=lambda _: (
            "Séance ajournée faute de quorum. Les dossiers non décidés restent « en comité » ; la séance suivante sur le même ordre du jour délibérera sans condition de quorum."
        ),
        then=lambda _: _session_url(session),
    )
    if done:
        return done
    quorum = services.session_quorum(session)
    return _confirm_page(
        request,
        session=session,
        form=form,
        title="Ajourner la séance (quorum non atteint)",
        submit="Ajourner la séance",
        cancel_url=_sitting_url(session),
        status=status,
        allowed=session.status in (S.CONVENED, S.SITTING)
        and session.needs_quorum
        and not quorum.reached
        and clock.now() >= services.opens_from(session),
        quorum=quorum,
        intro="Sans quorum, le comité ne peut pas délibérer. Un administrateur convoquera une nouvelle séance sur le même ordre du jour, qui délibérera sans condition de quorum.",
    )


@_area
@require_http_methods(["GET", "POST"])
def close(request, pk):
    session = queries.session_for(request.user, pk)
    if not _is_chair(request, session):
        return _forbidden(request, "Seul le président de séance clôt la séance.")
    form = ConfirmForm(
        request.POST or None,
        label="Je clos la séance : le procès-verbal est établi et les décisions sont notifiées",
    )
    done, status = submitted(
        request,
        form,
        lambda: services.close_session(session, by=request.user),
        success=lambda _: (
            "Séance close : le procès-verbal est établi et son empreinte inscrite dans la piste d'audit ; les lettres de décision partent aux maires."
        ),
        then=lambda _: _session_url(session, "proces-verbal"),
    )
    if done:
        return done
    rows = queries.agenda_rows(session, request.user)
    undecided = [r.item for r in rows if not r.item.outcome]
    return _confirm_page(
        request,
        session=session,
        form=form,
        title="Clore la séance",
        submit="Clore la séance",
        cancel_url=_sitting_url(session),
        status=status,
        allowed=session.status == S.SITTING and not undecided,
        undecided=undecided,
        intro="La clôture est définitive : le procès-verbal (PDF) est établi avec l'émargement, les procurations, les déports, les votes et les décisions ; une lettre de décision est envoyée au maire de chaque commune.",
    )


@_area
def minutes(request, pk):
    """The minutes PDF: only to whoever may open the session, never from a public URL."""
    session = queries.session_for(request.user, pk)
    if session.status != S.CLOSED or session.minutes_id is None:
        raise Http404("Le procès-verbal n'est établi qu'à la clôture de la séance.")
    document = session.minutes
    response = FileResponse(
        document.file.open("rb"),
        content_type="application/pdf",
        as_attachment=True,
        filename=f"proces-verbal-comite-{session.sitting_date or timezone.localdate(session.starts_at):%Y-%m-%d}-{session.pk}.pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
