"""The committee's composition per campaign, through ``fonds.comite.composition``: committee
members, administrators and auditors read it, administrators change it (the campaigns and their
composition sizes; one campaign's members and the form to appoint more; removal, confirmed).
"""

from __future__ import annotations

from django.http import Http404
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from fonds.accounts.roles import Role
from fonds.referentiel.models import Campaign
from fonds.ui.areas import role_area
from fonds.ui.submit import submitted

from .. import composition, queries
from ..forms import AppointForm, ConfirmForm
from ..models import CommitteeMember, Session
from .common import comite_page, forbidden

_area = role_area(
    read=queries.AREA_ROLES,
    write=frozenset({Role.ADMIN}),
    template="comite/forbidden.html",
    context={"nav": "comite"},
    flags={"is_admin": lambda roles: Role.ADMIN in roles},
)
ADMIN_ONLY = "Seul un administrateur du fonds modifie la composition du comité."


def _campaign(pk) -> Campaign:
    campaign = Campaign.objects.filter(pk=pk).first()
    if campaign is None:
        raise Http404("Campagne introuvable.")
    return campaign


def _url(campaign) -> str:
    return reverse("comite:composition", args=[campaign.pk])


@_area
def composition_index(request):
    campaigns = list(Campaign.objects.order_by("-year", "-pk")[:100])
    rows = [
        {"campaign": c, "members": len(composition.composition(c)), "default": composition.is_default(c)}
        for c in campaigns
    ]
    return comite_page(request, "comite/composition_index.html", "Composition du comité", rows=rows)


def _page(request, campaign, *, form=None, status=200):
    members = composition.composition(campaign)
    default = composition.is_default(campaign)
    rows = {r.member_id: r for r in composition.appointed(campaign)}
    upcoming = (Session.Status.PLANNED, Session.Status.CONVENED)
    sessions = list(Session.objects.filter(campaign=campaign, status__in=upcoming).order_by("starts_at"))
    inactive = [r for r in rows.values() if r.member_id not in {m.pk for m in members}]
    return comite_page(
        request,
        "comite/composition.html",
        f"Composition du comité — {campaign.name}",
        campaign=campaign,
        members=members,
        default=default,
        appointments=rows,
        inactive=inactive,
        sessions=sessions,
        form=form if form is not None else (AppointForm(campaign=campaign) if request.is_admin else None),
        status=status,
    )


@_area
@require_http_methods(["GET", "POST"])
def composition_page(request, campaign_pk):
    campaign = _campaign(campaign_pk)
    if request.method != "POST":
        return _page(request, campaign)
    form = AppointForm(request.POST, campaign=campaign)
    done, status = submitted(
        request,
        form,
        lambda: composition.appoint(campaign, by=request.user, members=list(form.cleaned_data["members"])),
        success=lambda rows: (
            f"{len(rows)} membre(s) nommé(s). Les séances de la campagne non encore "
            "convoquées convoqueront la nouvelle composition."
        ),
        then=lambda _: _url(campaign),
    )
    return done or _page(request, campaign, form=form, status=status)


def _removed(campaign, member) -> str:
    name = member.display_name
    back = (
        " Plus aucun membre n'est nommé : la composition redevient celle par défaut "
        "(tous les comptes membres du comité)."
        if composition.is_default(campaign)
        else ""
    )
    return f"{name} ne fait plus partie de la composition du comité." + back


@_area
@require_http_methods(["GET", "POST"])
def composition_remove(request, campaign_pk, member_pk):
    campaign = _campaign(campaign_pk)
    if not request.is_admin:
        return forbidden(request, ADMIN_ONLY)
    row = (
        CommitteeMember.objects.select_related("member")
        .filter(campaign=campaign, member_id=member_pk, removed_at__isnull=True)
        .first()
    )
    if row is None:
        raise Http404("Ce compte n'est pas nommé dans la composition du comité de la campagne.")
    form = ConfirmForm(
        request.POST or None,
        motivation="Motif (facultatif)",
        label="Je retire ce membre de la composition du comité de la campagne",
    )
    done, status = submitted(
        request,
        form,
        lambda: composition.remove(
            campaign, by=request.user, member=row.member, motivation=form.cleaned_data.get("motivation", "")
        ),
        success=lambda _: _removed(campaign, row.member),
        then=lambda _: _url(campaign),
    )
    if done:
        return done
    last = composition.appointed(campaign).count() == 1
    return comite_page(
        request,
        "comite/composition_remove.html",
        "Retirer un membre du comité",
        campaign=campaign,
        row=row,
        form=form,
        last=last,
        status=status,
    )
