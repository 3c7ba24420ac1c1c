"""Web and worker processes freeze their start-up objects (``fonds.startup``): a full garbage
collection then walks only what requests and tasks create."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str, tmp_path) -> list[str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "fonds.settings", "FJJ_VAR_DIR": str(tmp_path)}
    env.pop("PYTEST_XDIST_WORKER", None)
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_web_process_freezes_its_startup_objects_urlconf_included(tmp_path):
    frozen, views_loaded = _run(
        "import gc, sys; import fonds.wsgi; "
        "print(gc.get_freeze_count(), 'fonds.instruction.views.lists' in sys.modules)",
        tmp_path,
    )
    assert int(frozen) > 50_000
    assert views_loaded == "True"


def test_worker_pool_process_freezes_at_start_without_loading_the_urlconf(tmp_path):
    before, after, views_loaded = _run(
        "import gc, sys, django; django.setup(); from celery import signals; "
        "before = gc.get_freeze_count(); "
        "signals.worker_process_init.send(sender=None); "
        "print(before, gc.get_freeze_count(), 'fonds.instruction.views.lists' in sys.modules)",
        tmp_path,
    )
    assert int(before) == 0
    assert int(after) > 50_000
    assert views_loaded == "False"
