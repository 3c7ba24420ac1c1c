"""Issue 14, points 1 and 9: wrong second-factor codes count toward the lockout and are throttled
wherever a code is accepted (the web page, the API token endpoint); failed sign-ins reach the
audit chain as one event per lockout, not one per failure."""

import pytest
from axes.models import AccessAttempt

from fonds.accounts.signals import LOCKOUT_ACTION
from fonds.audit.models import AuditEvent
from tests.accounts.twofactor_helpers import code, device_for, sign_in, wrong_code
from tests.factories import PASSWORD, make_commune, make_user

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
CODE_URL = "/compte/double-authentification/"


def _token(client, user, otp, **extra):
    return client.post(
        TOKEN_URL,
        {"email": user.email, "password": PASSWORD, "otp": otp},
        content_type="application/json",
        **extra,
    )


@pytest.mark.two_factor
def test_wrong_totp_codes_count_toward_the_lockout(client, settings):
    """Same (email, IP) counter as passwords: 2 wrong passwords + 3 wrong codes = locked out, and
    the right password does not reset the counter before the code is given."""
    agent = make_user("instructeur")
    device = device_for(agent)
    for _ in range(2):
        assert sign_in(client, agent, "mauvais-mot-de-passe").status_code == 200
    assert sign_in(client, agent).status_code == 302
    answers = [
        client.post(CODE_URL, {"code": wrong_code(device)}).status_code
        for _ in range(settings.FJJ_LOCKOUT_FAILURES - 2)
    ]
    assert answers == [200] * (settings.FJJ_LOCKOUT_FAILURES - 3) + [429]
    assert "_auth_user_id" not in client.session, "the half-open session is signed out at the lockout"
    locked = sign_in(client, agent)
    assert locked.status_code == 429 and "Compte temporairement bloqué" in locked.content.decode()
    assert _token(client, agent, code(device)).status_code == 429


@pytest.mark.two_factor
def test_token_endpoint_throttles_totp_guessing(client, settings):
    """The attack of the issue: the right password, 40 wrong codes, a new X-Forwarded-For each time
    (ignored: FJJ_PROXY_COUNT=0). At most FJJ_LOCKOUT_FAILURES codes are ever checked."""
    agent = make_user("finance")
    device = device_for(agent)
    answers = [
        _token(client, agent, wrong_code(device), HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").status_code
        for i in range(40)
    ]
    limit = settings.FJJ_LOCKOUT_FAILURES
    assert answers[: limit - 1] == [403] * (limit - 1)
    assert set(answers[limit - 1 :]) == {429}
    assert (
        AccessAttempt.objects.get(username=agent.email, ip_address="127.0.0.1").failures_since_start >= limit
    )
    assert _token(client, agent, code(device)).status_code == 429  # locked: even the right code


@pytest.mark.two_factor
def test_totp_guessing_from_many_addresses_is_limited_per_account(client, settings):
    """A new real address per guess escapes the per-IP throttle and the (email, IP) lockout, not
    the per-account limit on codes (FJJ_OTP_RATE), shared by the API and the web page."""
    settings.FJJ_OTP_RATE = "6/15m"
    agent = make_user("instructeur")
    device = device_for(agent)
    answers = [
        _token(client, agent, wrong_code(device), REMOTE_ADDR=f"198.51.100.{i}").status_code for i in range(4)
    ]
    assert answers == [403] * 4
    sign_in(client, agent, REMOTE_ADDR="198.51.100.50")
    web = [
        client.post(CODE_URL, {"code": wrong_code(device)}, REMOTE_ADDR=f"198.51.100.{60 + i}").status_code
        for i in range(3)
    ]
    assert web == [200, 200, 429]
    refused = _token(client, agent, code(device), REMOTE_ADDR="198.51.100.99")
    assert refused.status_code == 429 and refused.json()["code"] == "too_many_codes"


@pytest.mark.two_factor
def test_second_factor_page_is_rate_limited_per_address(client, settings):
    """Password and code POSTs share the per-IP sign-in limit (FJJ_LOGIN_RATE per minute)."""
    settings.FJJ_LOGIN_RATE = 4
    agent = make_user("comite")
    device = device_for(agent)
    assert sign_in(client, agent).status_code == 302
    answers = [client.post(CODE_URL, {"code": wrong_code(device)}).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    assert "Trop de tentatives" in client.post(CODE_URL, {"code": code(device)}).content.decode()


def test_one_audit_event_per_lockout_not_per_failure(client, settings):
    settings.FJJ_LOGIN_RATE = 1000
    porteur = make_user("porteur", commune=make_commune())
    others = [make_user("porteur", commune=make_commune()) for _ in range(3)]
    before = AuditEvent.objects.count()
    for other in others:  # below the lockout: counted by django-axes only
        for _ in range(settings.FJJ_LOCKOUT_FAILURES - 1):
            sign_in(client, other, "faux")
    assert AuditEvent.objects.count() == before
    assert AccessAttempt.objects.filter(username__in=[o.email for o in others]).count() == 3
    answers = [
        sign_in(client, porteur, "faux").status_code for _ in range(30)
    ]  # a client hammering one account
    assert answers.count(429) == 30 - (settings.FJJ_LOCKOUT_FAILURES - 1)
    _token(client, porteur, "")  # the API door, locked too
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.order_by("-seq").first()
    assert event.action == LOCKOUT_ACTION and event.actor_id is None
    payload = event.data["payload"]
    assert payload["identifier"] == porteur.email and payload["ip"] == "127.0.0.1"
    assert (
        payload["failures"] == settings.FJJ_LOCKOUT_FAILURES
        and payload["window_minutes"] == settings.FJJ_LOCKOUT_MINUTES
    )
    assert not AuditEvent.objects.filter(action="login_failed").exists()


def test_lockout_of_another_address_is_another_event(client, settings):
    porteur = make_user("porteur", commune=make_commune())
    for address in ("192.0.2.1", "192.0.2.2"):
        for _ in range(settings.FJJ_LOCKOUT_FAILURES + 2):
            sign_in(client, porteur, "faux", REMOTE_ADDR=address)
    events = AuditEvent.objects.filter(action=LOCKOUT_ACTION)
    assert sorted(e.data["payload"]["ip"] for e in events) == ["192.0.2.1", "192.0.2.2"]
