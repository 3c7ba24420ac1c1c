"""Fixtures of the notification tests: the workflow tests' cast and main path (tests/workflows)."""

from __future__ import annotations

import pytest

from tests.workflows.conftest import _fast_passwords, cast, new_dossier  # noqa: F401 — fixtures


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.FJJ_SITE_URL = "https://fjj.example.gouv.fr"
