"""Issue 14, point 2: one client-IP policy for every limiter — the sign-in rate limit
(django-ratelimit), the API throttles (DRF, ``NUM_PROXIES`` included) and the lockout
(django-axes) — driven by ``FJJ_PROXY_COUNT``."""

import time
from types import SimpleNamespace

import pytest
from axes.models import AccessAttempt
from django.test import RequestFactory
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from fonds.accounts.client_ip import client_ip
from fonds.accounts.throttling import AnonRateThrottle
from tests.factories import make_commune, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def still_rate_limit_window(monkeypatch):
    """django-ratelimit counts in fixed windows: one that ends mid-test would reset a count."""
    now = time.time()
    monkeypatch.setattr("django_ratelimit.core.time", SimpleNamespace(time=lambda: now))


FORWARDED = [
    "",
    "6.6.6.6",
    "6.6.6.6, 203.0.113.7",
    "1.1.1.1, 6.6.6.6, 203.0.113.7",
    "2001:db8::1, 203.0.113.8",
]


def _request(forwarded: str, remote: str = "10.0.0.1"):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


def test_forwarded_for_is_ignored_without_proxy_count(client, settings, monkeypatch):
    settings.FJJ_PROXY_COUNT = 0
    for forwarded in FORWARDED:
        assert client_ip(_request(forwarded)) == "10.0.0.1"
    # the probe: a new X-Forwarded-For on each request no longer escapes the API throttles
    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {**SimpleRateThrottle.THROTTLE_RATES, "token": "3/minute", "anon": "2/minute"},
    )
    token = [
        client.post(
            "/api/v1/auth/token/",
            {"email": "x@example.fr", "password": "x"},
            content_type="application/json",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{i}",
        ).status_code
        for i in range(6)
    ]
    assert token == [400, 400, 400, 429, 429, 429]
    schema = [
        client.get("/api/v1/schema/", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}").status_code for i in range(3)
    ]
    assert schema == [200, 200, 429]


def test_proxy_count_takes_the_nth_address_from_the_right(settings):
    settings.FJJ_PROXY_COUNT = 1
    assert client_ip(_request("6.6.6.6, 203.0.113.7")) == "203.0.113.7"
    assert client_ip(_request("")) == "10.0.0.1"
    assert client_ip(_request("pas-une-adresse")) == "10.0.0.1"  # a broken header: the peer's address
    settings.FJJ_PROXY_COUNT = 2
    assert client_ip(_request("1.1.1.1, 6.6.6.6, 203.0.113.7")) == "6.6.6.6"


@pytest.mark.parametrize("proxies", [0, 1, 2])
def test_drf_num_proxies_reads_the_same_address(settings, proxies):
    """DRF's own reading (``NUM_PROXIES``, set from FJJ_PROXY_COUNT) agrees with the policy, and
    the project's throttles use the policy itself."""
    settings.FJJ_PROXY_COUNT = proxies
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": proxies}
    assert api_settings.NUM_PROXIES == proxies
    for forwarded in FORWARDED:
        request = _request(forwarded)
        assert (
            BaseThrottle().get_ident(Request(request))
            == client_ip(request)
            == AnonRateThrottle().get_ident(Request(request))
        )


def test_production_settings_give_drf_the_proxy_count():
    from django.conf import settings

    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == settings.FJJ_PROXY_COUNT


def test_lockout_and_sign_in_limit_key_on_the_same_address(client, settings):
    porteur = make_user("porteur", commune=make_commune())
    settings.FJJ_PROXY_COUNT = 0
    answers = [
        client.post(
            "/connexion/",
            {"username": porteur.email, "password": "faux"},
            HTTP_X_FORWARDED_FOR=f"198.51.100.{i}",
        ).status_code
        for i in range(settings.FJJ_LOCKOUT_FAILURES)
    ]
    assert answers[-1] == 429  # rotating the header did not escape the lockout
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["127.0.0.1"]
    settings.FJJ_PROXY_COUNT = 1
    other = make_user("porteur", commune=make_commune())
    client.post(
        "/connexion/",
        {"username": other.email, "password": "faux"},
        HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9",
    )
    assert AccessAttempt.objects.get(username=other.email).ip_address == "203.0.113.9"
    settings.FJJ_LOGIN_RATE = 2
    behind_proxy = [
        client.post(
            "/connexion/",
            {"username": other.email, "password": "faux"},
            HTTP_X_FORWARDED_FOR=f"6.6.6.{i}, 203.0.113.10",
        ).status_code
        for i in range(3)
    ]
    assert behind_proxy[-1] == 429  # the proxy's address for the client, whatever the client wrote before it
