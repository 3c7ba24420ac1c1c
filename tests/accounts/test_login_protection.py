"""Lockout after repeated failures (django-axes), rate limits on login and API, cookie flags."""

import pytest

from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def _fail(client, email, n):
    return [
        client.post("/connexion/", {"username": email, "password": "mauvais-mot-de-passe"}).status_code
        for _ in range(n)
    ]


def test_lockout_after_five_failures_even_with_the_right_password(client, settings):
    user = make_user("porteur")
    assert _fail(client, user.email, settings.FJJ_LOCKOUT_FAILURES - 1) == [200] * (
        settings.FJJ_LOCKOUT_FAILURES - 1
    )
    assert _fail(client, user.email, 1) == [429]
    response = client.post("/connexion/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 429 and "Compte temporairement bloqué" in response.content.decode()
    assert response["Retry-After"] == str(settings.FJJ_LOCKOUT_MINUTES * 60)


def test_lockout_is_per_email_another_account_still_signs_in(client, settings):
    locked, other = make_user("porteur"), make_user("porteur")
    _fail(client, locked.email, settings.FJJ_LOCKOUT_FAILURES)
    assert client.post("/connexion/", {"username": other.email, "password": PASSWORD}).status_code == 302


def test_success_before_the_limit_resets_the_counter(client, settings):
    user = make_user("porteur")
    _fail(client, user.email, settings.FJJ_LOCKOUT_FAILURES - 1)
    assert client.post("/connexion/", {"username": user.email, "password": PASSWORD}).status_code == 302
    client.logout()
    assert _fail(client, user.email, settings.FJJ_LOCKOUT_FAILURES - 1) == [200] * (
        settings.FJJ_LOCKOUT_FAILURES - 1
    )


def test_api_token_endpoint_locks_out_too(client, settings):
    user = make_user("porteur")
    url = "/api/v1/auth/token/"
    codes = [
        client.post(
            url, {"email": user.email, "password": "faux"}, content_type="application/json"
        ).status_code
        for _ in range(settings.FJJ_LOCKOUT_FAILURES)
    ]
    assert codes[-1] == 429
    response = client.post(url, {"email": user.email, "password": PASSWORD}, content_type="application/json")
    assert response.status_code == 429 and response.json()["code"] == "locked_out"


def test_login_rate_limit_per_ip(client, settings):
    settings.FJJ_LOGIN_RATE = 3
    codes = [
        client.post("/connexion/", {"username": f"inconnu{i}@example.fr", "password": "x"}).status_code
        for i in range(4)
    ]
    assert codes == [200, 200, 200, 429]


def test_api_token_endpoint_is_throttled(client, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, "token": "2/minute"}
    )
    codes = [
        client.post(
            "/api/v1/auth/token/",
            {"email": f"x{i}@example.fr", "password": "x"},
            content_type="application/json",
        ).status_code
        for i in range(3)
    ]
    assert codes == [400, 400, 429]


def test_session_cookie_httponly_and_samesite(client):
    user = make_user("porteur")
    response = client.post("/connexion/", {"username": user.email, "password": PASSWORD})
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
