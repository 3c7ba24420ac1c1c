"""Minors' data: sealed in the audit trail, visible to the roles that need it, purged after retention."""

import datetime as dt

import pytest

from fonds import clock
from fonds.audit import chain
from fonds.audit.models import AuditEvent
from fonds.dossiers.editing import update_content
from fonds.dossiers.models import Dossier
from fonds.dossiers.services import perform
from fonds.privacy.models import MinorsKey, Purge
from fonds.privacy.services import due_for_purge, matches, purge
from fonds.privacy.tasks import purge_minors_data
from tests.factories import make_dossier

pytestmark = pytest.mark.django_db


@pytest.fixture
def dossier():
    return make_dossier()


def _ended(dossier, years_ago: float):
    perform(dossier, "withdraw", by=dossier.created_by)
    Dossier.objects.filter(pk=dossier.pk).update(
        updated_at=clock.now() - dt.timedelta(days=365.25 * years_ago)
    )


def test_ages_never_written_in_clear_in_the_audit_trail(dossier):
    update_content(dossier, by=dossier.created_by, fields={"youth_ages": [13, 14, 15, 16, 17, 13, 14, 15]})
    event = AuditEvent.objects.filter(action="update_content").latest("seq")
    sealed = event.data["payload"]["fields"]["youth_ages"]
    assert sealed["count"] == 8 and set(sealed) == {"minors_data", "count", "hmac_sha256"}
    assert matches(dossier, [13, 14, 15, 16, 17, 13, 14, 15], sealed)
    assert not matches(dossier, [13, 14, 15, 16, 17, 13, 14, 16], sealed)


def test_purge_waits_for_the_retention_period(dossier):
    _ended(dossier, years_ago=4.9)  # the campaign keeps minors' data 5 years
    assert list(due_for_purge()) == []
    assert purge_minors_data.apply().get() == {"purged": 0}


def test_purge_after_retention_clears_ages_destroys_the_key_and_keeps_the_chain(dossier):
    update_content(dossier, by=dossier.created_by, fields={"youth_ages": [14, 15, 16, 15, 14, 13, 17, 16]})
    sealed = (
        AuditEvent.objects.filter(action="update_content")
        .latest("seq")
        .data["payload"]["fields"]["youth_ages"]
    )
    _ended(dossier, years_ago=5.1)
    assert purge_minors_data.apply().get() == {"purged": 1}
    dossier.refresh_from_db()
    assert dossier.youth_ages == [] and dossier.leader_ages  # leaders are adults: kept
    assert not MinorsKey.objects.filter(dossier=dossier).exists()
    assert not matches(
        dossier, [14, 15, 16, 15, 14, 13, 17, 16], sealed
    )  # nothing links the trail to the ages
    record = Purge.objects.get(dossier=dossier)
    assert record.youth_count == 8
    event = AuditEvent.objects.get(action="minors_data_purged")
    assert event.data["payload"]["key_destroyed"] is True and event.data["payload"]["youth_count"] == 8
    assert chain.verify().ok


def test_purge_is_idempotent_and_only_for_finished_dossiers(dossier):
    assert purge(dossier.pk) is False  # a draft is alive
    _ended(dossier, years_ago=6)
    assert purge(dossier.pk) is True and purge(dossier.pk) is False
    assert AuditEvent.objects.filter(action="minors_data_purged").count() == 1


def test_committee_member_does_not_get_the_ages_through_the_api(client, dossier):
    from tests.factories import make_user

    client.force_login(make_user("comite"))
    data = client.get(f"/api/v1/dossiers/{dossier.pk}/").json()
    assert data["youth_ages"] is None
    client.force_login(make_user("instructeur"))
    assert client.get(f"/api/v1/dossiers/{dossier.pk}/").json()["youth_ages"] == dossier.youth_ages


def test_porteur_of_the_commune_sees_the_ages_of_its_dossier(client, dossier):
    client.force_login(dossier.created_by)
    assert client.get(f"/api/v1/dossiers/{dossier.pk}/").json()["youth_ages"] == dossier.youth_ages
