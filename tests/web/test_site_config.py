"""The DSFR site configuration of every page: read once a minute per process, not on every page,
and a change saved in this process shown at once (fonds/web/context_processors.py)."""

import pytest
from django.test import RequestFactory
from dsfr.models import DsfrConfig

from fonds.web import context_processors

pytestmark = pytest.mark.django_db


def _title():
    return getattr(
        context_processors.site_config(RequestFactory().get("/"))["SITE_CONFIG"], "site_title", None
    )


def test_site_config_read_once_then_kept(django_assert_num_queries):
    DsfrConfig.objects.create(site_title="Fonds", language="fr")
    with django_assert_num_queries(1):
        assert _title() == "Fonds"
    with django_assert_num_queries(0):
        assert _title() == "Fonds"


def test_site_config_saved_or_deleted_is_shown_at_once():
    assert _title() is None  # none yet: kept as none
    config = DsfrConfig.objects.create(site_title="Fonds", language="fr")
    assert _title() == "Fonds"
    config.site_title = "Fonds Jumelages Jeunesse"
    config.save()
    assert _title() == "Fonds Jumelages Jeunesse"
    config.delete()
    assert _title() is None


def test_site_config_read_again_after_its_delay(monkeypatch, django_assert_num_queries):
    DsfrConfig.objects.create(site_title="Fonds", language="fr")
    assert _title() == "Fonds"
    DsfrConfig.objects.update(site_title="Changé ailleurs")  # another process: no signal here
    assert _title() == "Fonds"
    now = context_processors.monotonic()
    monkeypatch.setattr(
        context_processors, "monotonic", lambda: now + context_processors.SITE_CONFIG_SECONDS + 1
    )
    with django_assert_num_queries(1):
        assert _title() == "Changé ailleurs"
