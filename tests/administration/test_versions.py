"""Règlement: every number is a campaign setting; an administrator changes them by publishing a
NEW rule version (never in place), with the differences, a motivation and the choice for the
dossiers not yet instructed (audited per dossier); decisions keep their version."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from fonds.administration import parameters, versions
from fonds.administration.guards import AdminRefused
from fonds.audit.models import AuditEvent
from fonds.dossiers.models import Dossier
from fonds.dossiers.states import Status
from fonds.formats import number
from fonds.referentiel.models import RuleSet
from fonds.ui.templatetags.fjj import action_label
from tests.factories import make_campaign, make_dossier, make_user

pytestmark = pytest.mark.django_db


def _raised(params, value=5000):
    new = parameters.apply(params, {"eligibility__max_population": value})
    return new


def test_new_version_never_edits_the_old_one_in_place():
    campaign = make_campaign()
    admin = make_user("admin")
    v1 = campaign.rules
    before = dict(v1.params)
    v2 = versions.publish_version(
        campaign, _raised(v1.params), by=admin, motivation="Seuil relevé", migration=versions.MOVE
    )
    assert (v1.version, v2.version) == (1, 2)
    assert RuleSet.objects.get(pk=v1.pk).params == before
    assert v2.params["eligibility"]["max_population"] == 5000
    assert campaign.rulesets.count() == 2
    with pytest.raises(ValidationError):
        v1.save()


def test_publishing_is_one_audit_event_with_before_and_after():
    campaign = make_campaign()
    admin = make_user("admin")
    n = AuditEvent.objects.count()
    versions.publish_version(
        campaign, _raised(campaign.rules.params), by=admin, motivation="Seuil relevé", migration=versions.KEEP
    )
    events = list(AuditEvent.objects.order_by("seq")[n:])
    assert [e.action for e in events] == ["ruleset_published"]
    payload = events[0].data["payload"]
    assert payload["before"]["version"] == 1 and payload["after"]["version"] == 2
    assert payload["before"]["params"]["eligibility"]["max_population"] == 3500
    assert payload["after"]["params"]["eligibility"]["max_population"] == 5000
    assert payload["changes"] == [
        {
            "key": "eligibility.max_population",
            "label": parameters.PARAMS[0].label,
            "old": number(3500),
            "new": number(5000),
        }
    ]
    assert payload["motivation"] == "Seuil relevé"


def test_version_needs_a_motivation_and_a_change_and_an_administrator():
    campaign = make_campaign()
    admin = make_user("admin")
    with pytest.raises(AdminRefused, match="motivation"):
        versions.publish_version(
            campaign, _raised(campaign.rules.params), by=admin, motivation="  ", migration=versions.MOVE
        )
    with pytest.raises(AdminRefused, match="identique"):
        versions.publish_version(
            campaign, campaign.rules.params, by=admin, motivation="x", migration=versions.MOVE
        )
    for role in ("instructeur", "auditeur"):
        with pytest.raises(AdminRefused, match="administrateur"):
            versions.publish_version(
                campaign,
                _raised(campaign.rules.params),
                by=make_user(role),
                motivation="x",
                migration=versions.MOVE,
            )
    assert campaign.rulesets.count() == 1


def test_move_records_new_version_on_dossiers_not_yet_instructed_one_event_each():
    campaign = make_campaign()
    admin = make_user("admin")
    draft = make_dossier(campaign=campaign)
    decided = make_dossier(campaign=campaign)
    Dossier.objects.filter(pk=decided.pk).update(status=Status.APPROVED, rules_version=1)
    n = AuditEvent.objects.count()
    versions.publish_version(
        campaign, _raised(campaign.rules.params), by=admin, motivation="m", migration=versions.MOVE
    )
    draft.refresh_from_db()
    decided.refresh_from_db()
    assert draft.rules_version == 2
    assert decided.rules_version == 1  # a decision keeps the version it was taken under
    moved = AuditEvent.objects.filter(seq__gt=n, action="dossier_rules_version_changed")
    assert [(e.object_id, e.data["payload"]["before"], e.data["payload"]["after"]) for e in moved] == [
        (str(draft.pk), {"rules_version": None}, {"rules_version": 2})
    ]


def test_keep_pins_dossiers_not_yet_instructed_on_their_version():
    campaign = make_campaign()
    admin = make_user("admin")
    draft = make_dossier(campaign=campaign)
    versions.publish_version(
        campaign, _raised(campaign.rules.params), by=admin, motivation="m", migration=versions.KEEP
    )
    draft.refresh_from_db()
    assert draft.rules_version == 1
    assert draft.rules.version == 1
    assert Dossier.objects.get(pk=draft.pk).campaign.rules.version == 2


def test_consistency_errors_in_french():
    params = parameters.apply(
        make_campaign().rules.params, {"eligibility__min_request": 20000, "amount__floor": 99999}
    )
    errors = parameters.consistency_errors(params)
    assert errors["eligibility__max_request"].startswith("Le montant minimal")
    assert "plancher" in errors["amount__floor"]


def test_dossier_rules_version_changed_has_a_french_label():
    label = action_label("dossier_rules_version_changed")
    assert label == "Version du règlement applicable au dossier changée"
