"""Sessions are read from the cache only when that cache is shared by every process (Redis,
FJJ_CACHE_URL): a per-process cache would keep serving a session that another process changed or
ended (sign-out, two-factor check). Issue 8: one query less on every page in production."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _engine(**env) -> str:
    environ = {k: v for k, v in os.environ.items() if k != "FJJ_CACHE_URL"} | env
    code = "import fonds.settings as s; print(s.SESSION_ENGINE, s.CACHES['default']['BACKEND'])"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environ, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_sessions_in_the_database_without_a_shared_cache():
    assert _engine() == "django.contrib.sessions.backends.db django.core.cache.backends.locmem.LocMemCache"


def test_sessions_cached_in_the_shared_cache_and_written_to_the_database():
    assert (
        _engine(FJJ_CACHE_URL="redis://127.0.0.1:6379/2")
        == "django.contrib.sessions.backends.cached_db fonds.accounts.cache.FailSoftRedisCache"
    )
