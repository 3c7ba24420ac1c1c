"""The sign-in tests count requests against django-ratelimit's fixed windows: the window's clock
stands still during a test, so that a window ending between two requests never resets a count."""

import time
from types import SimpleNamespace

import pytest


@pytest.fixture(autouse=True)
def still_rate_limit_window(monkeypatch):
    now = time.time()
    monkeypatch.setattr("django_ratelimit.core.time", SimpleNamespace(time=lambda: now))
