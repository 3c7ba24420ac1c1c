"""schemathesis against ``/api/v1/schema/`` (issue 7's check): whatever the generated input, no
endpoint answers 500 — with a valid token of each role, and without one.

The schema is loaded from the Django WSGI application (``schemathesis.openapi.from_wsgi``); the
requests run in-process against the world of ``tests/security/world.py`` (built once for the
module, rolled back at the end; each request in a savepoint rolled back after it). The number of
examples per operation is bounded (``FJJ_SCHEMATHESIS_EXAMPLES``, 6 by default) so that the run
stays short; DRF's throttle rates are raised for this test only.
"""

from __future__ import annotations

import json
import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from rest_framework.throttling import SimpleRateThrottle
from schemathesis.checks import not_a_server_error

from tests.security.world import ROLES, build_world

pytestmark = pytest.mark.django_db
EXAMPLES = int(os.environ.get("FJJ_SCHEMATHESIS_EXAMPLES", "6"))


def _in_process():
    """Like Django's test client: the WSGI handler must not close the test's connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)


def _restore():
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def api_world(django_db_setup, django_db_blocker, tmp_path_factory):
    from django.conf import settings

    previous = settings.MEDIA_ROOT
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media-schemathesis")
    _in_process()
    with django_db_blocker.unblock():
        with transaction.atomic():
            world = build_world()
            world.media = settings.MEDIA_ROOT
            world.tokens = {role: Token.objects.create(user=user).key for role, user in world.users.items()}
            try:
                yield world
            finally:
                transaction.set_rollback(True)
                _restore()
                settings.MEDIA_ROOT = previous


def _served_schema() -> dict:
    """The document ``/api/v1/schema/`` serves (drf-spectacular's generator, rendered as JSON).

    Built at import (no database needed) because schemathesis' lazy ``from_fixture`` does not work
    with pytest 9 (it sets ``Node._nodeid``, gone); ``test_schema_is_the_served_one`` checks it
    is the document the WSGI application serves, loaded with ``schemathesis.openapi.from_wsgi``."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))


def _wsgi_app():
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


schema = schemathesis.openapi.from_dict(_served_schema())
schema.app = _wsgi_app()


def test_schema_is_the_served_one(api_world):
    served = schemathesis.openapi.from_wsgi("/api/v1/schema/", _wsgi_app())
    assert served.raw_schema["paths"].keys() == schema.raw_schema["paths"].keys()
    assert len(schema.raw_schema["paths"]) >= 25


@pytest.fixture
def unthrottled(monkeypatch):
    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {"anon": "100000/minute", "user": "100000/minute", "token": "100000/minute"},
    )


@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    phases=[Phase.generate],  # no coverage-phase cases: a bounded run
    suppress_health_check=list(HealthCheck),
)
def test_no_server_error_for_any_role(case, api_world, db, unthrottled, settings):
    settings.MEDIA_ROOT = api_world.media
    for role in ROLES:
        headers = {} if role == "anonymous" else {"Authorization": f"Token {api_world.tokens[role]}"}
        with transaction.atomic():
            response = case.call(headers=headers)
            transaction.set_rollback(True)
        case.validate_response(response, checks=[not_a_server_error])
