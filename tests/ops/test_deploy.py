"""The production profile passes Django's deployment checklist without a single warning."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_check_deploy_with_production_settings_prints_no_warning(tmp_path):
    env = {
        **os.environ,
        "FJJ_DEBUG": "0",
        "FJJ_SECRET_KEY": "k" * 20 + "production-secret-key-with-enough-entropy-0123456789",
        "FJJ_ALLOWED_HOSTS": "jumelages-jeunesse.example.fr",
        "FJJ_VAR_DIR": str(tmp_path),
        "FJJ_LOG_FORMAT": "json",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_collectstatic_in_the_production_profile(tmp_path):
    env = {
        **os.environ,
        "FJJ_DEBUG": "0",
        "FJJ_SECRET_KEY": "k" * 20 + "production-secret-key-with-enough-entropy-0123456789",
        "FJJ_ALLOWED_HOSTS": "jumelages-jeunesse.example.fr",
        "FJJ_VAR_DIR": str(tmp_path),
        "FJJ_STATIC_ROOT": str(tmp_path / "static"),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    manifest = (tmp_path / "static" / "staticfiles.json").read_text()
    assert (
        "fjj/fjj.css" in manifest
        and "dsfr/dist/dsfr/dsfr.min.css" in manifest
        and "dsfr/dist/utility/utility.min.css" in manifest
    )
    assert (
        "viewflow/" not in manifest and "dsfr/dist/component/" not in manifest
    )  # never served: not collected
