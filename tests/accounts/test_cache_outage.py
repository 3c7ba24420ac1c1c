"""Issue 14, point 4: a cache outage degrades, never crashes.

Real pieces: a private ``redis-server`` (``PrivateRedis`` of tests/services/harness.py: Debian's, on
a free port, no persistence, in a temporary folder) is the shared cache, as ``FJJ_CACHE_URL`` makes
it in production: the two aliases of ``fonds/accounts/cache.py`` and ``cached_db`` sessions. A
mayor and an agent sign in through the real pages while it runs; then it is killed (SIGKILL) and:

* the mayor's signed-in pages answer (sessions read from the database), the API too (its throttles
  let requests through), and a draft save and a submission are written;
* sign-in refuses cleanly with a French 503 — the sign-in page, the second-factor step, the token
  endpoint — since the limiter cannot count;
* the outage is one warning in the logs, not a traceback per request.

Redis then restarts on the same port: sign-in works again. Skipped with a reason where
``redis-server`` is not installed.
"""

from __future__ import annotations

import logging
import time

import pytest
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from fonds.audit.models import AuditEvent
from fonds.dossiers.models import Dossier
from fonds.dossiers.states import Status
from tests.accounts.twofactor_helpers import code, device_for, sign_in
from tests.factories import PASSWORD, make_dossier, make_user
from tests.services.harness import free_port, running_redis

pytestmark = [pytest.mark.django_db, pytest.mark.two_factor]


@pytest.fixture
def private_redis(tmp_path):
    with running_redis(tmp_path / "redis", "du cache") as server:
        yield server


@pytest.fixture
def redis_cache(private_redis, settings):
    """The production cache settings (FJJ_CACHE_URL) on the private Redis."""
    options = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    settings.CACHES = {
        "default": {
            "BACKEND": "fonds.accounts.cache.FailSoftRedisCache",
            "LOCATION": private_redis.url(0),
            "OPTIONS": options,
        },
        "limits": {
            "BACKEND": "fonds.accounts.cache.StrictRedisCache",
            "LOCATION": private_redis.url(0),
            "OPTIONS": options,
        },
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    settings.FJJ_CACHE_RETRY_SECONDS = 0.5
    yield private_redis
    for alias in ("default", "limits"):
        caches[alias].close()


def test_redis_killed_signed_in_pages_and_writes_go_on_sign_in_is_refused(redis_cache, caplog):
    server = redis_cache
    draft = make_dossier(title="Avant la panne")
    to_submit = make_dossier(commune=draft.commune, porteur=draft.created_by, campaign=draft.campaign)
    mayor = draft.created_by
    agent = make_user("instructeur")
    device = device_for(agent)

    mayor_client, agent_client = Client(), Client()
    assert sign_in(mayor_client, mayor).status_code == 302
    assert sign_in(agent_client, agent).status_code == 302  # password given, code still to come
    session_key = mayor_client.cookies["sessionid"].value
    assert caches["default"].get(f"django.contrib.sessions.cached_db{session_key}") is not None, (
        "session in Redis"
    )
    assert mayor_client.get(reverse("depot:my-dossiers")).status_code == 200

    server.kill()
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        # signed-in reads: the session comes from the database, the API throttles let through
        assert mayor_client.get(reverse("depot:my-dossiers")).status_code == 200
        assert mayor_client.get(reverse("depot:step", args=[draft.pk, "projet"])).status_code == 200
        assert mayor_client.get("/api/v1/dossiers/").status_code == 200
        # writes: a draft save and a submission, both written
        saved = mayor_client.post(
            reverse("depot:step", args=[draft.pk, "projet"]),
            {
                "title": "Pendant la panne",
                "summary": "Résumé",
                "objectives": "",
                "start_date": "",
                "end_date": "",
                "activity_days": "",
                "action": "stay",
            },
        )
        assert saved.status_code == 302
        submitted = mayor_client.post(reverse("depot:submit", args=[to_submit.pk]), {"confirm": "on"})
        assert submitted.status_code == 302 and submitted["Location"] == reverse(
            "depot:submitted", args=[to_submit.pk]
        )
        assert (
            mayor_client.patch(
                f"/api/v1/dossiers/{draft.pk}/", {"summary": "Par l'API"}, content_type="application/json"
            ).status_code
            == 200
        )

        # sign-in: refused cleanly while the limiter cannot count
        newcomer = Client()
        page = newcomer.post("/connexion/", {"username": mayor.email, "password": PASSWORD})
        assert page.status_code == 503 and "Connexion momentanément indisponible" in page.content.decode()
        assert "_auth_user_id" not in newcomer.session
        token = newcomer.post(
            "/api/v1/auth/token/",
            {"email": mayor.email, "password": PASSWORD},
            content_type="application/json",
        )
        assert token.status_code == 503 and token.json()["code"] == "sign_in_unavailable"
        second_factor = agent_client.post("/compte/double-authentification/", {"code": code(device)})
        assert (
            second_factor.status_code == 503
            and "momentanément indisponible" in second_factor.content.decode()
        )
        assert agent_client.get("/dossiers/").status_code == 302  # still not verified: nothing let through

    draft.refresh_from_db()
    assert draft.title == "Pendant la panne" and draft.summary == "Par l'API"
    assert Dossier.objects.get(pk=to_submit.pk).status == Status.SUBMITTED
    assert AuditEvent.objects.filter(action="submit", object_id=str(to_submit.pk)).count() == 1
    outage_logs = [r for r in caplog.records if r.name == "fonds.cache"]
    assert len(outage_logs) == 1 and outage_logs[0].levelno == logging.WARNING, "one warning for the outage"
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR], (
        "no traceback, no error per request"
    )

    # Redis is back (empty): sign-in works again once the breaker tries it
    server.start()
    time.sleep(0.6)
    assert Client().post("/connexion/", {"username": mayor.email, "password": PASSWORD}).status_code == 302
    assert agent_client.post("/compte/double-authentification/", {"code": code(device)}).status_code == 302
    assert mayor_client.get(reverse("depot:my-dossiers")).status_code == 200


def test_cache_errors_read_as_misses_for_sessions_and_raise_for_limiters(settings, caplog):
    """No server needed: a port nobody listens on. The fail-soft alias answers a miss, the strict
    one raises; while the breaker is open neither touches the network; one warning."""
    from fonds.accounts.cache import CacheUnavailable, FailSoftRedisCache, StrictRedisCache

    settings.FJJ_CACHE_RETRY_SECONDS = 60
    location = f"redis://127.0.0.1:{free_port()}/0"
    soft = FailSoftRedisCache(location, {"OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}})
    strict = StrictRedisCache(location, {})
    with caplog.at_level(logging.WARNING, logger="fonds.cache"):
        assert soft.get("clé", "défaut") == "défaut"
        assert soft.add("clé", 1) is False and soft.set("clé", 1) is None and soft.get_many(["a", "b"]) == {}
        with pytest.raises(CacheUnavailable):
            strict.get("clé")
        with pytest.raises(CacheUnavailable):
            soft.incr("compteur")  # no count can be made up
    assert soft.breaker is strict.breaker and soft.breaker.down
    assert len([r for r in caplog.records if r.name == "fonds.cache"]) == 1
    soft._cache = None  # the client is not even looked at while the breaker is open
    assert soft.get("clé") is None
