"""Two-factor authentication (TOTP) is required for the fund's agents, not for porteurs."""

import pytest
from axes.models import AccessAttempt
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from fonds.audit.models import AuditEvent
from tests.factories import PASSWORD, make_commune, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.two_factor]


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"


def _sign_in(client, user):
    return client.post("/connexion/", {"username": user.email, "password": PASSWORD})


@pytest.mark.parametrize("role", ["instructeur", "comite", "finance", "admin", "auditeur"])
def test_agent_roles_must_pass_the_second_factor(client, role):
    user = make_user(role)
    assert _sign_in(client, user).status_code == 302
    response = client.get("/dossiers/")
    assert response.status_code == 302 and response["Location"].startswith("/compte/double-authentification/")


def test_porteur_signs_in_with_a_password_only(client):
    porteur = make_user("porteur", commune=make_commune())
    _sign_in(client, porteur)
    assert client.get("/depot/").status_code == 200


def test_first_sign_in_enrols_an_authenticator_then_reaches_the_pages(client):
    user = make_user("instructeur")
    _sign_in(client, user)
    page = client.get("/compte/double-authentification/")
    assert (
        page.status_code == 200 and "<svg" in page.content.decode() and "Clé secrète" in page.content.decode()
    )
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post("/compte/double-authentification/", {"code": _code(device), "next": "/dossiers/"})
    assert response.status_code == 302 and response["Location"] == "/dossiers/"
    assert client.get("/dossiers/").status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEvent.objects.filter(action="two_factor_enrolled").count() == 1


def test_wrong_code_refused_with_a_french_message_and_counted_as_a_failed_sign_in(client):
    """Counted by django-axes (its table), not one audit event per wrong code (issue 14)."""
    user = make_user("finance")
    TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    _sign_in(client, user)
    response = client.post("/compte/double-authentification/", {"code": "000000"})
    assert response.status_code == 200 and "Code incorrect ou expiré" in response.content.decode()
    assert client.get("/dossiers/").status_code == 302
    assert AccessAttempt.objects.get(username=user.email).failures_since_start == 1
    assert not AuditEvent.objects.filter(action="two_factor_failed").exists()


def test_next_parameter_cannot_redirect_off_site(client):
    user = make_user("auditeur")
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    _sign_in(client, user)
    response = client.post(
        "/compte/double-authentification/", {"code": _code(device), "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_api_token_for_an_agent_requires_the_code(client):
    user = make_user("instructeur")
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    url = "/api/v1/auth/token/"
    refused = client.post(url, {"email": user.email, "password": PASSWORD}, content_type="application/json")
    assert refused.status_code == 403 and refused.json()["code"] == "two_factor_required"
    granted = client.post(
        url,
        {"email": user.email, "password": PASSWORD, "otp": _code(device)},
        content_type="application/json",
    )
    assert granted.status_code == 200 and granted.json()["token"]


def test_api_token_for_an_agent_not_enrolled_is_refused(client):
    user = make_user("comite")
    response = client.post(
        "/api/v1/auth/token/", {"email": user.email, "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 403 and response.json()["code"] == "two_factor_not_enrolled"


def test_session_api_call_of_an_unverified_agent_is_refused(client):
    user = make_user("instructeur")
    client.force_login(user)
    response = client.get("/api/v1/dossiers/")
    assert response.status_code == 403 and response.json()["code"] == "two_factor_required"


def test_reset_two_factor_command_removes_the_device_and_is_audited():
    from django.core.management import call_command

    user = make_user("instructeur")
    TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    call_command("reset_two_factor", user.email, "--motif", "Téléphone perdu, ticket 42")
    assert not TOTPDevice.objects.filter(user=user).exists()
    event = AuditEvent.objects.get(action="two_factor_reset")
    assert (
        event.data["payload"]["motivation"] == "Téléphone perdu, ticket 42"
        and event.data["payload"]["devices_removed"] == 1
    )


@pytest.mark.django_db(transaction=True)
def test_wrong_code_and_enrolment_outside_a_test_transaction(client):
    """As under gunicorn (autocommit, no wrapping transaction): the enrolment's audit event lands,
    the wrong code is counted (django-axes), neither is a 500."""
    user = make_user("finance")
    _sign_in(client, user)
    client.get("/compte/double-authentification/")
    device = TOTPDevice.objects.get(user=user)
    assert client.post("/compte/double-authentification/", {"code": _code(device)}).status_code == 302
    other = make_user("instructeur")
    TOTPDevice.objects.create(user=other, name="app", confirmed=True)
    client.logout()
    _sign_in(client, other)
    assert client.post("/compte/double-authentification/", {"code": "000000"}).status_code == 200  # was a 500
    assert AuditEvent.objects.filter(action="two_factor_enrolled").count() == 1
    assert AccessAttempt.objects.get(username=other.email).failures_since_start == 1
