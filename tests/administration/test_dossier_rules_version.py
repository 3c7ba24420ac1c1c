"""A dossier follows the rule version it records (``Dossier.rules``): the version it was filed
under, kept or moved by the administrator's choice when a new version is published; a decided
dossier never changes. Eligibility, the amount formula and the deadlines read it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fonds.administration import parameters, versions
from fonds.dossiers.models import Dossier
from fonds.dossiers.services import perform
from fonds.dossiers.states import Status
from fonds.eligibilite.engine import run_checks
from fonds.instruction.amount import grant_for_dossier
from fonds.suivi import reminders
from tests.factories import make_campaign, make_dossier, make_user

pytestmark = pytest.mark.django_db

#: v2 makes the dossier ineligible (E1: population) and lowers the cap of the formula
V2 = {"eligibility__max_population": 100, "amount__cap": 1500}


def _submitted(campaign):
    dossier = make_dossier(campaign=campaign)
    perform(dossier, "submit", by=dossier.created_by)
    return Dossier.objects.get(pk=dossier.pk)


def _publish_v2(campaign, migration):
    admin = make_user("admin")
    versions.publish_version(
        campaign, parameters.apply(campaign.rules.params, V2), by=admin, motivation="m", migration=migration
    )


def _follows(pk) -> tuple[int, int, list, Decimal]:
    """(rules version, eligibility run's version, failed rules, grant) as the stage code reads them."""
    dossier = Dossier.objects.get(pk=pk)
    run = run_checks(dossier, moment="preview", store=False)
    grant = grant_for_dossier(dossier, explain=False).grant
    return dossier.rules.version, run.rules_version, [v.code for v in run.failures()], grant


def test_submission_records_the_rules_version_filed_under():
    campaign = make_campaign()
    dossier = _submitted(campaign)
    assert dossier.rules_version == 1 and dossier.rules == campaign.rules


def test_keep_dossier_not_yet_instructed_still_follows_its_version():
    campaign = make_campaign()
    pk = _submitted(campaign).pk
    before = _follows(pk)
    _publish_v2(campaign, versions.KEEP)
    assert before[:3] == (1, 1, [])
    assert _follows(pk) == before


def test_move_dossier_not_yet_instructed_follows_the_new_version():
    campaign = make_campaign()
    pk = _submitted(campaign).pk
    _publish_v2(campaign, versions.MOVE)
    assert _follows(pk) == (2, 2, ["E1"], Decimal("1500.00"))


@pytest.mark.parametrize("migration", [versions.KEEP, versions.MOVE])
def test_decided_dossier_never_changes_version(migration):
    campaign = make_campaign()
    pk = _submitted(campaign).pk
    Dossier.objects.filter(pk=pk).update(status=Status.APPROVED)  # decided under v1
    before = _follows(pk)
    _publish_v2(campaign, migration)
    assert _follows(pk) == before and before[0] == 1


def test_draft_follows_current_version_and_records_it_at_submission():
    campaign = make_campaign()
    draft = make_dossier(campaign=campaign)
    campaign.rules.new_version(parameters.apply(campaign.rules.params, {"amount__cap": 1500}))
    draft = Dossier.objects.get(pk=draft.pk)
    assert draft.rules_version is None and draft.rules.version == 2
    perform(draft, "submit", by=draft.created_by)
    assert Dossier.objects.get(pk=draft.pk).rules_version == 2


def test_unknown_recorded_version_falls_back_to_current():
    campaign = make_campaign()
    dossier = make_dossier(campaign=campaign)
    Dossier.objects.filter(pk=dossier.pk).update(rules_version=9)
    assert Dossier.objects.get(pk=dossier.pk).rules == campaign.rules


def test_dossiers_sharing_a_campaign_read_a_pinned_version_once(django_assert_num_queries):
    campaign = make_campaign()
    pks = [_submitted(campaign).pk for _ in range(3)]
    _publish_v2(campaign, versions.KEEP)
    dossiers = list(Dossier.objects.filter(pk__in=pks))
    shared = Dossier.objects.get(pk=pks[0]).campaign
    for d in dossiers:
        d.campaign = shared
    with django_assert_num_queries(2):  # the current version, then v1
        assert {d.rules.version for d in dossiers} == {1}


def test_reminders_read_each_dossiers_version():
    campaign = make_campaign()
    kept = _submitted(campaign)
    days = parameters.apply(campaign.rules.params, {"deadlines__agreement_reminder_days": 30})
    admin = make_user("admin")
    versions.publish_version(campaign, days, by=admin, motivation="m", migration=versions.KEEP)
    moved = _submitted(campaign)
    groups = {
        rules.version: set(qs.values_list("pk", flat=True))
        for rules, qs in reminders._by_rules(Dossier.objects.filter(campaign=campaign))
    }
    assert groups == {1: {kept.pk}, 2: {moved.pk}}
