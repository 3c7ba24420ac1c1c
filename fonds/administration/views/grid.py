"""The scoring grid screen: editable (a new rule version) until the first score of the campaign."""

from __future__ import annotations

from django.views.decorators.http import require_http_methods

from fonds.ui.submit import submitted

from .. import scoring_grid
from ..forms import GridForm
from .common import area, campaign_or_404, campaign_url, page, read_only


@area
@require_http_methods(["GET", "POST"])
def grid_page(request, pk):
    campaign = campaign_or_404(pk)
    params = campaign.rules.params
    locked = scoring_grid.is_locked(campaign)
    form = GridForm(request.POST or None, current=params)
    answer, status = submitted(
        request,
        form,
        lambda: scoring_grid.publish_grid(
            campaign, form.new_params, by=request.user, motivation=form.cleaned_data["motivation"]
        ),
        then=campaign_url(campaign),
        success=lambda v: f"La grille de notation est publiée (version {v.version} du règlement).",
    )
    if answer:
        return answer
    if locked or not request.is_admin:
        read_only(form)
    return page(
        request,
        "administration/grid.html",
        f"Grille de notation — {campaign.name}",
        campaign=campaign,
        form=form,
        locked=locked,
        locked_message=scoring_grid.LOCKED,
        status=status,
    )
