"""The sessions: lists, and their preparation by an administrator (creation, date, agenda,
convocation, deputy chair)."""

from __future__ import annotations

from django.utils import timezone
from django.views.decorators.http import require_http_methods

from fonds.accounts.roles import roles_of
from fonds.dossiers.access import visible_dossiers
from fonds.referentiel.models import Campaign
from fonds.ui.submit import submitted

from .. import composition, dates, envelope, queries, reading
from .. import convocation as comite_convocation
from .. import sessions as comite_sessions
from ..forms import ConfirmForm, DeputyChairForm, RescheduleForm, SessionForm
from .common import S, admin_session, area, comite_page, confirm_page, forbidden, is_chair, session_url


@area
def session_list(request):
    sessions = list(queries.sessions_for(request.user)[:200])
    all_sessions = bool(roles_of(request.user) & queries.ALL_SESSIONS_ROLES)
    return comite_page(
        request,
        "comite/sessions.html",
        "Séances du comité" if all_sessions else "Mes séances du comité",
        sessions=sessions,
        all_sessions=all_sessions,
        can_create=request.is_admin,
    )


@area
def envelope_list(request):
    """Envelopes and waiting lists in ranking order; a dossier the reader may not see (a member
    recused on it) is left out, the others keep their rank."""
    envelopes = envelope.overview()
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
    return comite_page(
        request,
        "comite/envelopes.html",
        "Enveloppes et liste complémentaire",
        envelopes=envelopes,
        is_admin=request.is_admin,
    )


def _campaign_from(request):
    """The campaign named by ``?campagne=`` (GET) or the form's ``campaign`` (POST), if any."""
    raw = request.POST.get("campaign") if request.method == "POST" else request.GET.get("campagne")
    try:
        return Campaign.objects.filter(pk=int(raw)).first() if raw else None
    except (TypeError, ValueError):
        return None


def _created(session) -> str:
    return (
        f"Séance du {timezone.localtime(session.starts_at):%d/%m/%Y à %H:%M} créée : elle convoquera "
        f"les {session.members.count()} membres de la composition du comité."
        + (
            " Elle reprend l'ordre du jour de la séance ajournée."
            if session.follows_id
            else " Établissez maintenant l'ordre du jour."
        )
    )


@area
@require_http_methods(["GET", "POST"])
def session_create(request):
    if not request.is_admin:
        return forbidden(request, "Seul un administrateur du fonds crée une séance du comité.")
    campaign = _campaign_from(request)
    form = SessionForm(request.POST or None, campaign=campaign)

    def create():
        data = form.cleaned_data
        return comite_sessions.create_session(
            data["campaign"],
            by=request.user,
            starts_at=data["starts_at"],
            chair=data["chair"],
            place=data["place"],
            video_link=data["video_link"],
            follows=data["follows"],
            deputy_chair=data.get("deputy_chair"),
        )

    done, status = submitted(request, form, create, success=_created, then=session_url)
    if done:
        return done
    return comite_page(
        request,
        "comite/session_form.html",
        "Nouvelle séance du comité",
        form=form,
        campaign=campaign,
        members=composition.composition(campaign) if campaign is not None else None,
        default_composition=composition.is_default(campaign) if campaign is not None else None,
        min_days=dates.min_days(campaign) if campaign is not None else None,
        status=status,
    )


@area
@require_http_methods(["GET", "POST"])
@admin_session("Seul un administrateur du fonds change la date d'une séance.")
def reschedule(request, session):
    """An administrator moves a session not yet convened to another date."""
    initial = {"starts_at": timezone.localtime(session.starts_at).strftime("%Y-%m-%dT%H:%M")}
    form = RescheduleForm(request.POST or None, initial=initial)
    done, status = submitted(
        request,
        form,
        lambda: comite_sessions.reschedule_session(
            session, by=request.user, starts_at=form.cleaned_data["starts_at"]
        ),
        success=lambda s: (
            f"La séance est désormais fixée au {timezone.localtime(s.starts_at):%d/%m/%Y à %H:%M}."
        ),
        then=lambda _: session_url(session),
    )
    if done:
        return done
    return comite_page(
        request,
        "comite/reschedule.html",
        "Changer la date de la séance",
        session=session,
        form=form,
        allowed=session.status == S.PLANNED,
        min_days=dates.min_days(session),
        status=status,
    )


@area
def session_detail(request, pk):
    session = queries.session_for(request.user, pk)
    members = queries.members_of(session)
    proxies = queries.proxies_of(session)
    user = request.user
    given = next((p for p in proxies if p.giver_id == user.pk), None)
    held = next((p for p in proxies if p.holder_id == user.pk), None)
    rows = queries.agenda_rows(session, user)
    events, older_events = queries.session_events(session, rows)
    return comite_page(
        request,
        "comite/session.html",
        f"Séance du {timezone.localtime(session.starts_at):%d/%m/%Y}",
        session=session,
        members=members.people,
        proxies=proxies,
        rows=rows,
        events=events,
        older_events=older_events,
        references={str(r.item.pk): r.item.dossier.reference for r in rows},
        is_member=reading.is_member(session, user, members=members.ids),
        is_chair=is_chair(request, session),
        is_admin=request.is_admin,
        given=given,
        held=held,
        envelope_left=envelope.left(session.campaign),
        can_prepare=request.is_admin and session.status == S.PLANNED,
        opens_from=dates.opens_from(session) if session.status == S.CONVENED else None,
        can_change_deputy=request.is_admin and session.status in (S.PLANNED, S.CONVENED),
        open_session=session.status in (S.PLANNED, S.CONVENED, S.SITTING),
    )


@area
@require_http_methods(["GET", "POST"])
@admin_session("Seul un administrateur du fonds établit l'ordre du jour.")
def agenda(request, session):
    """The ranked instructed dossiers ``build_agenda`` would add, then the build (confirmed)."""
    form = ConfirmForm(request.POST or None, label="Je confirme inscrire ces dossiers à l'ordre du jour")
    done, status = submitted(
        request,
        form,
        lambda: comite_convocation.build_agenda(session, by=request.user),
        success=lambda created: (
            f"{len(created)} dossier(s) inscrit(s) à l'ordre du jour, classés par note puis population."
            if created
            else "Aucun nouveau dossier instruit à inscrire."
        ),
        then=lambda _: session_url(session, "ordre-du-jour"),
    )
    if done:
        return done
    candidates = list(queries.agenda_candidates(session))
    return comite_page(
        request,
        "comite/agenda.html",
        "Établir l'ordre du jour",
        session=session,
        candidates=candidates,
        form=form,
        current=queries.agenda_rows(session, request.user),
        allowed=session.status == S.PLANNED and not session.follows_id,
        status=status,
    )


@area
@require_http_methods(["GET", "POST"])
@admin_session("Seul un administrateur du fonds envoie la convocation.")
def convocation(request, session):
    too_soon = (
        dates.convocation_refusal(session.starts_at, session.campaign) if session.status == S.PLANNED else ""
    )
    form = ConfirmForm(request.POST or None, label="Je confirme l'envoi de la convocation")
    if too_soon:
        done, status = None, 409 if request.method == "POST" else 200
    else:
        done, status = submitted(
            request,
            form,
            lambda: comite_convocation.send_convocation(session, by=request.user),
            success=lambda result: (
                f"Convocation envoyée aux {len(result.recipients)} membres de la composition du comité, "
                "avec l'ordre du jour. La liste des membres de la séance est désormais arrêtée."
            ),
            then=lambda _: session_url(session),
        )
    if done:
        return done
    items = list(session.items.select_related("dossier__commune").order_by("rank"))
    members = (
        composition.composition(session.campaign)
        if session.status == S.PLANNED
        else queries.members_of(session).people
    )
    return confirm_page(
        request,
        session=session,
        form=form,
        title="Envoyer la convocation",
        cancel_url=session_url(session),
        too_soon=too_soon,
        status=status,
        allowed=session.status == S.PLANNED and bool(items) and not too_soon,
        agenda_items=items,
        members=members,
        can_reschedule=session.status == S.PLANNED,
        intro="Chaque membre de la composition du comité de la campagne reçoit par courriel la date, le "
        "lieu ou le lien de la séance et l'ordre du jour. L'ordre du jour et la liste des membres ne "
        "peuvent plus être modifiés ensuite.",
    )


def _deputy_changed(session) -> str:
    deputy = session.deputy_chair
    text = (
        f"Président de séance suppléant : {deputy.display_name}."
        if deputy
        else "La séance n'a plus de président de séance suppléant."
    )
    return text + (" La convocation déjà envoyée n'est pas renvoyée." if session.status == S.CONVENED else "")


@area
@require_http_methods(["GET", "POST"])
@admin_session("Seul un administrateur du fonds désigne le président de séance suppléant.")
def deputy_chair(request, session):
    """An administrator sets, changes or removes the deputy chair before the session sits."""
    form = DeputyChairForm(
        request.POST or None,
        members=queries.members_of(session).people,
        chair_id=session.chair_id,
        initial={"deputy_chair": session.deputy_chair_id},
    )
    done, status = submitted(
        request,
        form,
        lambda: comite_sessions.change_deputy_chair(
            session, by=request.user, deputy_chair=form.cleaned_data["deputy_chair"]
        ),
        success=_deputy_changed,
        then=lambda _: session_url(session, "procurations"),
    )
    if done:
        return done
    return comite_page(
        request,
        "comite/deputy_chair.html",
        "Président de séance suppléant",
        session=session,
        form=form,
        allowed=session.status in (S.PLANNED, S.CONVENED),
        status=status,
    )
