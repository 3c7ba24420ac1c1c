"""A time-stamping authority on 127.0.0.1 (one per module: key generation costs), configured in
the settings of each test that asks for ``tsa``."""

from __future__ import annotations

import pytest

from tests.comite.conftest import committee  # noqa: F401 — the committee fixture, for the closing test

from .tsa import DEFAULT_POLICY, TestAuthority


@pytest.fixture(scope="module")
def authority(tmp_path_factory):
    tsa = TestAuthority().start()
    tsa.root_path = tmp_path_factory.mktemp("tsa") / "racine.pem"
    tsa.root_path.write_bytes(tsa.root_pem)
    yield tsa
    tsa.stop()


@pytest.fixture
def tsa(authority, settings):
    if authority._server is None:
        authority.start()
    settings.FJJ_TSA_URL = authority.url
    settings.FJJ_TSA_POLICY_OID = DEFAULT_POLICY
    settings.FJJ_TSA_CERTIFICATES = [str(authority.root_path)]
    settings.FJJ_TSA_TIMEOUT = 3
    yield authority
    if authority._server is None:
        authority.start()


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(email="auditrice@example.fr", password=None)
