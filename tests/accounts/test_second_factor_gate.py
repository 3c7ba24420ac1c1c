"""Issue 14, point 1: the second factor gates every authenticated path — the API (a session serves
it only once OTP-verified, tokens are the only other way in), the session key at the code step,
and the Django admin (signed in through the site's sign-in only)."""

from urllib.parse import parse_qs, urlparse

import pytest
from axes.models import AccessAttempt
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory
from rest_framework import exceptions
from rest_framework.authtoken.models import Token
from rest_framework.request import Request

from fonds.api.authentication import StrictTokenAuthentication, VerifiedSessionAuthentication
from tests.accounts.twofactor_helpers import code, device_for, sign_in
from tests.factories import PASSWORD, make_commune, make_dossier, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.two_factor]

JUNK_HEADERS = ["x", "Bearer junk", "", "Token", "Token pas-un-jeton", "Basic YWdlbnQ6bW90"]


@pytest.mark.parametrize("header", JUNK_HEADERS)
def test_half_open_session_cannot_use_the_api_with_a_junk_authorization_header(client, header):
    agent = make_user("instructeur")
    device_for(agent)
    dossier = make_dossier()
    assert sign_in(client, agent).status_code == 302  # password only: the code is still to come
    for response in (
        client.get("/api/v1/dossiers/", HTTP_AUTHORIZATION=header),
        client.get(f"/api/v1/dossiers/{dossier.pk}/audit/", HTTP_AUTHORIZATION=header),
        client.post(
            f"/api/v1/dossiers/{dossier.pk}/transitions/start_instruction/",
            {},
            content_type="application/json",
            HTTP_AUTHORIZATION=header,
        ),
    ):
        assert response.status_code in (401, 403), response.content


def test_api_session_authentication_refuses_an_unverified_agent():
    """At the API's own depth (without the middleware): DRF's session class is not enough."""
    agent = make_user("finance")
    django_request = RequestFactory().get("/api/v1/dossiers/")
    django_request.user = agent
    agent.is_verified = lambda: False  # what django-otp's middleware sets before the code step
    with pytest.raises(exceptions.PermissionDenied) as refused:
        VerifiedSessionAuthentication().authenticate(Request(django_request))
    assert refused.value.get_codes() == "two_factor_required"
    agent.is_verified = lambda: True
    assert VerifiedSessionAuthentication().authenticate(Request(django_request))[0] == agent


@pytest.mark.parametrize("header", JUNK_HEADERS)
def test_junk_authorization_header_is_refused_never_a_session_fallback(client, header):
    """Even a complete session (a porteur's) is not served behind a header that is not a token."""
    porteur = make_user("porteur", commune=make_commune())
    sign_in(client, porteur)
    assert client.get("/api/v1/dossiers/").status_code == 200
    response = client.get("/api/v1/dossiers/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"
    with pytest.raises(exceptions.AuthenticationFailed):
        StrictTokenAuthentication().authenticate(
            Request(RequestFactory().get("/", HTTP_AUTHORIZATION=header))
        )


def test_token_issued_with_the_code_is_the_other_way_in(client):
    agent = make_user("instructeur")
    device = device_for(agent)
    response = client.post(
        "/api/v1/auth/token/",
        {"email": agent.email, "password": PASSWORD, "otp": code(device)},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert (
        client.get("/api/v1/dossiers/", HTTP_AUTHORIZATION=f"Token {response.json()['token']}").status_code
        == 200
    )


def test_verified_session_serves_the_api(client):
    agent = make_user("auditeur")
    device = device_for(agent)
    sign_in(client, agent)
    assert client.post("/compte/double-authentification/", {"code": code(device)}).status_code == 302
    assert client.get("/api/v1/dossiers/").status_code == 200


def test_session_key_rotates_at_second_factor(client):
    agent = make_user("comite")
    device = device_for(agent)
    sign_in(client, agent)
    half_open_key = client.session.session_key
    csrf_before = client.cookies.get("csrftoken")
    response = client.post("/compte/double-authentification/", {"code": code(device)})
    assert response.status_code == 302
    verified_key = client.session.session_key
    assert verified_key != half_open_key
    assert not SessionStore().exists(half_open_key), "the half-open session is gone, not merely abandoned"
    assert client.cookies["sessionid"].value == verified_key
    assert csrf_before is None or client.cookies["csrftoken"].value != csrf_before.value


def test_admin_login_goes_through_the_site_sign_in(client):
    admin = make_user("admin", is_staff=True, is_superuser=True)
    device = device_for(admin)
    # the admin's own form is gone: GET and POST alike lead to the site's sign-in, nothing is checked
    page = client.get("/admin/login/?next=/admin/referentiel/")
    assert page.status_code == 302
    location = urlparse(page["Location"])
    assert location.path == "/connexion/" and parse_qs(location.query)["next"] == ["/admin/referentiel/"]
    for _ in range(3):
        posted = client.post("/admin/login/", {"username": admin.email, "password": PASSWORD})
        assert posted.status_code == 302 and posted["Location"].startswith("/connexion/")
    posted = client.post("/admin/login/", {"username": admin.email, "password": "faux"})
    assert "_auth_user_id" not in client.session
    assert not AccessAttempt.objects.exists(), "no password is checked at /admin/login/"
    # the site's sign-in: password, then the code, then the admin
    assert client.get("/admin/").status_code == 302
    assert sign_in(client, admin).status_code == 302
    half_open = client.get("/admin/")
    assert half_open.status_code == 302 and half_open["Location"].startswith(
        "/compte/double-authentification/"
    )
    assert client.get("/admin/login/?next=/admin/")["Location"].startswith("/compte/double-authentification/")
    assert (
        client.post("/compte/double-authentification/", {"code": code(device), "next": "/admin/"})["Location"]
        == "/admin/"
    )
    assert client.get("/admin/").status_code == 200


def test_admin_pages_need_a_verified_staff_account_whatever_its_roles(client):
    """A staff account with no role of the fund still needs the second factor for the admin."""
    staff = make_user(None, is_staff=True, is_superuser=True)
    device_for(staff)
    sign_in(client, staff)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/compte/double-authentification/")


def test_admin_login_for_a_signed_in_non_staff_user_is_a_403_not_a_loop(client):
    porteur = make_user("porteur", commune=make_commune())
    sign_in(client, porteur)
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 403 and "Administration réservée" in response.content.decode()


def test_token_of_an_agent_is_refused_without_the_code_even_with_a_session(client):
    agent = make_user("finance")
    device_for(agent)
    sign_in(client, agent)
    response = client.post(
        "/api/v1/auth/token/", {"email": agent.email, "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 403 and response.json()["code"] == "two_factor_required"
    assert not Token.objects.filter(user=agent).exists()
