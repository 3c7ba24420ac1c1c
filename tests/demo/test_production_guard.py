"""The demonstration refuses the production profile (issue 14): ``seed_demo`` and ``demo_otp_code``
create accounts with a known password and TOTP keys derived from their address. With
``FJJ_DEBUG=0`` they stop, in French, unless ``--force-production`` is given — then they warn."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from fonds.accounts.models import User
from fonds.referentiel.models import Campaign
from tests.factories import make_user

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def production(settings):
    settings.FJJ_PRODUCTION = True


def test_seed_demo_refuses_production_without_force(production):
    with pytest.raises(
        CommandError, match=r"refuse de s'exécuter en production \(FJJ_DEBUG=0\).*--force-production"
    ):
        call_command("seed_demo", stdout=io.StringIO())
    assert not Campaign.objects.exists() and not User.objects.exists()


def test_seed_demo_forced_in_production_warns_in_french(production):
    err = io.StringIO()
    with pytest.raises(
        CommandError, match="référentiel des communes est vide"
    ):  # past the guard: the demo's own checks
        call_command("seed_demo", "--force-production", stdout=io.StringIO(), stderr=err)
    assert "ATTENTION" in err.getvalue() and "mot de passe connu" in err.getvalue()


def test_demo_otp_code_refuses_production_without_force(production, capsys):
    make_user("instructeur", email="instructeur@demo.fjj.fr")
    with pytest.raises(CommandError, match="refuse de s'exécuter en production"):
        call_command("demo_otp_code", "instructeur@demo.fjj.fr")
    assert capsys.readouterr().out == ""


def test_demo_otp_code_forced_in_production_warns(production):
    make_user("instructeur", email="instructeur@demo.fjj.fr")
    out, err = io.StringIO(), io.StringIO()
    call_command("demo_otp_code", "instructeur@demo.fjj.fr", "--force-production", stdout=out, stderr=err)
    assert len(out.getvalue().strip()) == 6 and "ATTENTION" in err.getvalue()


def test_seed_demo_refuses_fjj_debug_0_in_a_real_process(tmp_path):
    env = {
        **os.environ,
        "FJJ_DEBUG": "0",
        "FJJ_VAR_DIR": str(tmp_path),
        "FJJ_LOG_FORMAT": "text",
        "FJJ_SECRET_KEY": "s" * 60,
        "FJJ_DATABASE_URL": f"sqlite:///{tmp_path / 'absente.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "seed_demo"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "refuse de s'exécuter en production" in result.stderr
    assert not (tmp_path / "absente.sqlite3").exists() or (tmp_path / "absente.sqlite3").stat().st_size == 0
