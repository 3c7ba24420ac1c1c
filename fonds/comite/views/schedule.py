"""Putting one dossier on a committee session's agenda: the instructor's or the administrator's
page for the ``schedule`` transition, where the session is chosen (taking it off the agenda,
``unschedule``, needs only a motivation: the dossier's generic action page does it)."""

from __future__ import annotations

from django.contrib import messages
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from fonds.accounts.roles import Role
from fonds.dossiers import services as dossier_services
from fonds.dossiers.access import get_visible_or_404, visible_dossiers
from fonds.ui.areas import role_area
from fonds.ui.submit import submitted

from ..agenda import open_sessions
from ..forms import ScheduleForm
from .common import comite_page

SCHEDULERS = frozenset({Role.INSTRUCTEUR, Role.ADMIN})
_schedulers = role_area(
    read=SCHEDULERS, write=SCHEDULERS, template="comite/forbidden.html", context={"nav": "comite"}
)


@_schedulers
@require_http_methods(["GET", "POST"])
def schedule(request, pk):
    dossier = get_visible_or_404(
        request.user, pk, visible_dossiers(request.user).select_related("commune", "campaign")
    )
    meta = dossier_services.transition_meta("schedule")["custom"]
    allowed = any(
        a["name"] == "schedule" for a in dossier_services.available_transitions(dossier, request.user)
    )
    sessions = open_sessions(dossier.campaign_id)
    form = ScheduleForm(request.POST or None, sessions=sessions)
    status = 200 if allowed else 409
    if not allowed:
        messages.error(
            request,
            f"L'action « {meta['label']} » n'est pas possible pour vous sur ce dossier dans son état actuel.",
        )
    else:
        done, status = submitted(
            request,
            form,
            lambda: dossier_services.perform(
                dossier,
                "schedule",
                by=request.user,
                motivation=form.cleaned_data["motivation"],
                data={"session": form.cleaned_data["session"].pk},
            ),
            success=lambda _: (
                f"Le dossier {dossier.reference} est inscrit à l'ordre du jour de la séance choisie."
            ),
            then=reverse("dossier-detail", kwargs={"pk": dossier.pk}),
        )
        if done:
            return done
    return comite_page(
        request,
        "comite/schedule.html",
        meta["label"],
        dossier=dossier,
        form=form,
        allowed=allowed,
        has_sessions=sessions.exists(),
        status=status,
    )
