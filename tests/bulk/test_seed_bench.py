"""``seed_bench``: the benchmark data set (real communes, every status, audit events) — small here."""

import pytest
from django.core.management import call_command

from fonds.audit.chain import verify
from fonds.dossiers.models import Dossier

pytestmark = pytest.mark.django_db


def test_seed_bench_creates_dossiers_in_many_statuses_with_a_verifiable_trail(capsys):
    call_command("seed_bench", dossiers=200, instructors=3)
    assert Dossier.objects.count() == 200
    assert Dossier.objects.values("status").distinct().count() >= 5
    result = verify()
    assert result.ok and result.count > 200
    assert "200 dossiers" in capsys.readouterr().out
