"""Scoring grid: editable (as a new rule version) until the first score of the campaign is
recorded, then refused with a French message (a new campaign is needed)."""

from __future__ import annotations

import pytest

from fonds.administration import scoring_grid
from fonds.administration.guards import AdminRefused
from fonds.audit.models import AuditEvent
from fonds.instruction.models import Score
from tests.factories import make_campaign, make_dossier, make_user

pytestmark = pytest.mark.django_db


def _raised_threshold(campaign, threshold=70):
    values = scoring_grid.flatten(campaign.rules.params)
    values["threshold_total"] = threshold
    return scoring_grid.apply(campaign.rules.params, values)


def test_grid_editable_before_first_score_as_a_new_version_one_event():
    campaign = make_campaign()
    n = AuditEvent.objects.count()
    new = scoring_grid.publish_grid(
        campaign, _raised_threshold(campaign), by=make_user("admin"), motivation="m"
    )
    assert new.version == 2 and new.params["scoring"]["threshold_total"] == 70
    assert campaign.rulesets.get(version=1).params["scoring"]["threshold_total"] == 60
    assert list(AuditEvent.objects.order_by("seq")[n:].values_list("action", flat=True)) == [
        "scoring_grid_changed"
    ]


def test_grid_locked_after_first_score():
    campaign = make_campaign()
    dossier = make_dossier(campaign=campaign)
    Score.objects.create(dossier=dossier, criterion="participation", points=20, rules_version=1)
    assert scoring_grid.is_locked(campaign)
    with pytest.raises(AdminRefused, match="nouvelle campagne"):
        scoring_grid.publish_grid(
            campaign, _raised_threshold(campaign), by=make_user("admin"), motivation="m"
        )
    assert campaign.rulesets.count() == 1


def test_grid_threshold_above_total_refused_in_french():
    campaign = make_campaign()
    errors = scoring_grid.grid_errors(_raised_threshold(campaign, threshold=101))
    assert errors == {"threshold_total": "Le seuil dépasse le total des points de la grille (100)."}


def test_grid_screen_changes_only_the_grid():
    campaign = make_campaign()
    params = _raised_threshold(campaign)
    params["eligibility"]["max_population"] = 9000
    with pytest.raises(AdminRefused, match="Seule la grille"):
        scoring_grid.publish_grid(campaign, params, by=make_user("admin"), motivation="m")


def test_grid_adds_and_removes_criteria():
    campaign = make_campaign()
    values = scoring_grid.flatten(campaign.rules.params)
    values.update(crit_5_remove=True, new_label="Éco-responsabilité", new_max=10)
    params = scoring_grid.apply(campaign.rules.params, values)
    codes = [c["code"] for c in params["scoring"]["criteria"]]
    assert "budget" not in codes and codes[-1] == "eco_responsabilite"
    assert params["scoring"]["criteria"][-1] == {
        "code": "eco_responsabilite",
        "label": "Éco-responsabilité",
        "max": 10,
        "automatic": False,
    }
    assert scoring_grid.grid_errors(params) == {}
    new = scoring_grid.publish_grid(campaign, params, by=make_user("admin"), motivation="Nouveau critère")
    assert [c["code"] for c in new.params["scoring"]["criteria"]] == codes
