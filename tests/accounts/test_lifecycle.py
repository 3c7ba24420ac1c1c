"""An administrator's changes to an account (fonds.accounts.lifecycle), without HTTP: each is one
audit event with before and after; the fund always keeps an active administrator."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from fonds.accounts import lifecycle
from fonds.accounts.models import ProConnectDevice, User
from fonds.accounts.roles import roles_of
from fonds.audit.models import AuditEvent
from tests.accounts.twofactor_helpers import device_for, sign_in
from tests.factories import make_commune, make_user

pytestmark = pytest.mark.django_db


def only_event(action, user):
    (event,) = AuditEvent.objects.filter(action=action, object_id=str(user.pk))
    return event.data


def test_deactivate_is_audited_with_before_and_after():
    admin, agent = make_user("admin"), make_user("instructeur")
    lifecycle.deactivate(agent, by=admin)
    agent.refresh_from_db()
    assert not agent.is_active
    event = only_event("account_deactivated", agent)
    assert event["payload"]["before"]["is_active"] is True
    assert event["payload"]["after"]["is_active"] is False
    assert event["actor"]["id"] == admin.pk


def test_reactivate_is_audited():
    admin, agent = make_user("admin"), make_user("instructeur", is_active=False)
    lifecycle.reactivate(agent, by=admin)
    agent.refresh_from_db()
    assert agent.is_active
    assert only_event("account_reactivated", agent)["payload"]["after"]["is_active"] is True


def test_administrator_cannot_deactivate_themselves():
    admin, _other = make_user("admin"), make_user("admin")
    with pytest.raises(lifecycle.AccountRefused):
        lifecycle.deactivate(admin, by=admin)
    admin.refresh_from_db()
    assert admin.is_active and not AuditEvent.objects.filter(action="account_deactivated").exists()


def test_last_active_administrator_cannot_be_deactivated():
    last = make_user("admin")
    make_user("admin", is_active=False)
    other = make_user(["instructeur"])
    with pytest.raises(lifecycle.AccountRefused, match="dernier administrateur"):
        lifecycle.deactivate(last, by=other)
    last.refresh_from_db()
    assert last.is_active


def test_last_administrator_role_cannot_be_removed():
    admin = make_user("admin")
    with pytest.raises(lifecycle.AccountRefused, match="dernier administrateur"):
        lifecycle.set_roles(admin, ["instructeur"], by=admin)
    assert roles_of(User.objects.get(pk=admin.pk)) == {"admin"}


def test_administrator_role_can_be_removed_when_another_remains():
    admin, other = make_user("admin"), make_user("admin")
    lifecycle.set_roles(other, ["instructeur", "auditeur"], by=admin)
    assert roles_of(User.objects.get(pk=other.pk)) == {"instructeur", "auditeur"}
    payload = only_event("account_roles_changed", other)["payload"]
    assert payload["before"]["roles"] == ["admin"]
    assert payload["after"]["roles"] == ["auditeur", "instructeur"]


def test_porteur_role_needs_a_commune():
    admin, agent = make_user("admin"), make_user("instructeur")
    with pytest.raises(lifecycle.AccountRefused, match="commune"):
        lifecycle.set_roles(agent, ["porteur"], by=admin)
    commune = make_commune()
    lifecycle.set_roles(agent, ["porteur"], by=admin, commune=commune)
    agent.refresh_from_db()
    assert agent.commune == commune and roles_of(agent) == {"porteur"}


def test_unchanged_roles_make_no_event():
    admin, agent = make_user("admin"), make_user("instructeur")
    lifecycle.set_roles(agent, ["instructeur"], by=admin)
    assert not AuditEvent.objects.filter(action="account_roles_changed").exists()


def test_reset_second_factor_removes_devices_and_user_enrols_again():
    admin, agent = make_user("admin"), make_user("instructeur")
    device_for(agent)
    ProConnectDevice.objects.create(user=agent, name="pc", confirmed=True)
    assert lifecycle.reset_second_factor(agent, by=admin) == 2
    assert not TOTPDevice.objects.filter(user=agent).exists()
    assert not ProConnectDevice.objects.filter(user=agent).exists()
    payload = only_event("two_factor_reset", agent)["payload"]
    assert payload["before"]["devices"] == 2 and payload["after"]["devices"] == 0


@pytest.mark.two_factor
def test_after_a_reset_the_next_sign_in_enrols_a_new_application(client):
    admin, agent = make_user("admin"), make_user("instructeur")
    device_for(agent)
    lifecycle.reset_second_factor(agent, by=admin)
    assert sign_in(client, agent).status_code == 302
    page = client.get("/compte/double-authentification/")
    assert page.status_code == 200 and page.context["enrolling"] is True


def test_unlink_proconnect_forgets_the_sub_and_is_audited():
    admin, agent = make_user("admin"), make_user("instructeur", proconnect_sub="pc-1")
    lifecycle.unlink_proconnect(agent, by=admin)
    agent.refresh_from_db()
    assert agent.proconnect_sub is None
    payload = only_event("proconnect_unlinked", agent)["payload"]
    assert payload["before"]["proconnect_sub"] == "pc-1" and payload["after"]["proconnect_sub"] is None
