"""Shared pytest configuration: the `postgres` and `services` markers skip with a reason when absent."""

import socket

import pytest
from django.conf import settings


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def pytest_collection_modifyitems(config, items):
    is_pg = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    broker = settings.CELERY_BROKER_URL
    skip_pg = pytest.mark.skip(
        reason="nécessite PostgreSQL : lancez `make test-services` (FJJ_DATABASE_URL=postgres://…)"
    )
    skip_services = pytest.mark.skip(
        reason="nécessite PostgreSQL et Redis/RabbitMQ avec un worker Celery : lancez `make test-services`"
    )
    services_ok = is_pg and not broker.startswith("sqla+") and not broker.startswith("filesystem")
    for item in items:
        if "postgres" in item.keywords and not is_pg:
            item.add_marker(skip_pg)
        if "services" in item.keywords and not services_ok:
            item.add_marker(skip_services)
        if "services" in item.keywords or "browser" in item.keywords:
            # with pytest-xdist (--dist loadgroup), tests talking to the real broker share one
            # process (two in-process workers on one queue would take each other's tasks), and the
            # browser tests another (one Chromium at a time on a 2-core machine)
            item.add_marker(pytest.mark.xdist_group("services" if "services" in item.keywords else "browser"))


@pytest.fixture(scope="session")
def _seal_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("sceau")


@pytest.fixture(autouse=True)
def _isolated_side_effects(request, settings, tmp_path, _seal_dir):
    """Files in a temporary folder, emails in memory, Celery tasks run eagerly (but for `services` tests)."""
    from fonds.celery import app

    settings.MEDIA_ROOT = tmp_path / "media"
    # the fund's demonstration seal (made on the first sealed PDF), one per test session, not in var/
    settings.FJJ_SEAL_PEM = str(_seal_dir / "sceau-fonds.pem")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast tests only
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Two-factor authentication is tested where it is the subject (tests/accounts/test_two_factor.py,
    # the permission matrix): elsewhere `force_login` stands for a completed sign-in.
    settings.FJJ_REQUIRE_2FA = "two_factor" in request.keywords
    from django.core.cache import cache

    cache.clear()  # rate-limit and throttle counters never leak from one test to the next
    from fonds.web.context_processors import forget_site_config

    forget_site_config()  # a site configuration a rolled-back test created is not kept by the process
    eager = "services" not in request.keywords
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = eager
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = previous
    from fonds import clock as fund_clock

    fund_clock.reset()  # a test that moved time leaves the next one on the real clock


@pytest.fixture
def clock():
    """The application's clock (``fonds.clock``): ``clock.travel_to(date)``, ``clock.advance(days=16)``,
    ``clock.now()``; reset after the test."""
    from fonds import clock as fund_clock

    yield fund_clock
    fund_clock.reset()
