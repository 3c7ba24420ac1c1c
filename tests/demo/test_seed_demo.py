"""``manage.py seed_demo``: its refusals and its small pieces (PDFs, IBAN, the fund's SIRET). The
seeded demo itself: test_demo_history.py and test_demo_newcomer.py."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from pypdf import PdfReader
from stdnum.luhn import is_valid as luhn_ok

from fonds.accounts.models import User
from fonds.demo import DEMO_FUND_SIRET, PAST_ENVELOPE, demo_iban, simple_pdf
from fonds.demo.pilot import APPROVED as PAST_APPROVED
from fonds.demo.pilot import WAITLISTED as PAST_WAITLISTED
from fonds.referentiel.models import Campaign, Commune
from fonds.referentiel.siret import is_valid_siret

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_seed_demo_refuses_an_empty_referential():
    with pytest.raises(CommandError, match="import_communes"):
        call_command("seed_demo", stdout=io.StringIO())
    assert not Campaign.objects.exists() and not User.objects.exists()


@pytest.mark.django_db
def test_seed_demo_refuses_a_referential_too_small():
    Commune.objects.create(
        code="01001", name="Seule", departement="01", region="84", population=800, siren="210100012"
    )
    with pytest.raises(CommandError, match="il en faut"):
        call_command("seed_demo", stdout=io.StringIO())
    assert not Campaign.objects.exists()  # nothing half-written


def test_pilot_envelope_makes_a_waiting_list_that_the_renunciation_and_the_lapse_promote():
    """The pilot's envelope holds its approvals and less than any waitlisted amount; what the
    renunciation and then the lapse free promotes the first two waitlisted dossiers, in either
    ranking order, never the last."""
    approved = dict(PAST_APPROVED)
    first, second, last = (amount for _, amount in PAST_WAITLISTED)
    left = PAST_ENVELOPE - sum(approved.values())
    assert 0 < left < min(first, second, last)
    for one, other in ((first, second), (second, first)):
        after_renunciation = left + approved["renonce"]
        assert last > after_renunciation
        assert one <= after_renunciation < one + other and after_renunciation - one < last
        after_lapse = after_renunciation - one + approved["caduc"]
        assert other <= after_lapse and after_lapse - other < last


def test_simple_pdf_is_a_readable_pdf_with_french_text():
    data = simple_pdf(
        "Délibération — commune d'Évian (ça coûte 1 000 €)",
        ["Sighișoara : jumelage ; « échanges » de jeunes."],
    )
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "Délibération" in text and "€" in text and "Sighisoara" in text


def test_demo_iban_is_well_formed():
    iban, spaced = demo_iban("81306")
    assert iban.startswith("FR") and len(iban) == 27 and spaced.replace(" ", "") == iban
    assert int("".join(str(int(c, 36)) for c in iban[4:] + iban[:4])) % 97 == 1


def test_demo_fund_siret_is_valid_fictitious_and_the_one_make_run_gives():
    assert (
        is_valid_siret(DEMO_FUND_SIRET) and luhn_ok(DEMO_FUND_SIRET[:9]) and DEMO_FUND_SIRET[9:13] == "9999"
    )
    run_dev = (ROOT / "scripts" / "run_dev.py").read_text(encoding="utf-8")
    assert re.search(r'DEMO_FUND_SIRET = "(\d{14})"', run_dev).group(1) == DEMO_FUND_SIRET
