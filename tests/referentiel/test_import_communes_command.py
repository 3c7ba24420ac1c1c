"""``manage.py import_communes``: idempotent upsert, all-or-nothing on a bad file."""

from __future__ import annotations

import io
import time
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from fonds.audit.models import AuditEvent
from fonds.referentiel.importer import default_fixture_path
from fonds.referentiel.models import Commune

from .conftest import line_of, sample_rows

pytestmark = pytest.mark.django_db


def run_import(*args) -> str:
    out = io.StringIO()
    call_command("import_communes", *[str(a) for a in args], stdout=out)
    return out.getvalue()


def snapshot() -> list[tuple]:
    return list(Commune.objects.order_by("code").values_list())


def test_import_creates_every_row_of_a_valid_file(write_communes):
    output = run_import(write_communes())

    assert "5 créées, 0 mises à jour, 0 inchangées" in output
    assert Commune.objects.count() == 5
    abergement = Commune.objects.get(code="01001")
    assert (abergement.name, abergement.departement, abergement.region, abergement.zone) == (
        "L'Abergement-Clémenciat",
        "01",
        "84",
        "metro",
    )
    assert (abergement.population, abergement.siren) == (860, "210100012")
    assert (abergement.latitude, abergement.longitude) == (Decimal("46.153600"), Decimal("4.926100"))
    taaf = Commune.objects.get(code="98411")
    assert taaf.population is None and taaf.siren == "" and taaf.is_overseas


def test_second_import_of_the_same_file_changes_nothing(write_communes):
    path = write_communes()
    run_import(path)
    before = snapshot()

    output = run_import(path)

    assert "0 créées, 0 mises à jour, 5 inchangées" in output
    assert snapshot() == before


def test_changed_population_is_updated_and_other_communes_left_alone(write_communes):
    run_import(write_communes())
    rows = sample_rows()
    rows[1][5] = "74000"

    output = run_import(write_communes(rows))

    assert "0 créées, 1 mises à jour, 4 inchangées" in output
    assert "Champs modifiés : population." in output
    assert Commune.objects.get(code="2A004").population == 74000
    assert Commune.objects.get(code="01001").population == 860


def test_new_rows_are_created_next_to_unchanged_ones(write_communes):
    run_import(write_communes(sample_rows()[:3]))
    output = run_import(write_communes())
    assert "2 créées, 0 mises à jour, 3 inchangées" in output


def test_import_accepts_gzip_files(write_communes):
    assert "5 créées" in run_import(write_communes(name="communes.tsv.gz"))


def test_commune_absent_from_the_file_is_kept_and_reported(write_communes):
    run_import(write_communes())
    output = run_import(write_communes(sample_rows()[:4]))
    assert "0 créées, 0 mises à jour, 4 inchangées" in output
    assert "1 commune(s) présente(s) en base mais absente(s) du fichier" in output
    assert Commune.objects.filter(code="98411").exists()


MALFORMED = {
    "population-non-numeric": (5, "mille", "population « mille » non numérique"),
    "bad-code": (0, "9750", "code INSEE « 9750 » invalide"),
    "bad-zone": (4, "outre-mer", "zone « outre-mer » inconnue"),
}


@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_malformed_file_is_refused_with_its_line_number_and_nothing_is_stored(write_communes, kind):
    run_import(write_communes(sample_rows()[:2]))
    before = snapshot()
    column, value, fragment = MALFORMED[kind]
    rows = sample_rows()
    rows[0][5] = "999"  # valid change on an existing commune: must not be written either
    rows[3][column] = value

    with pytest.raises(CommandError) as info:
        run_import(write_communes(rows))

    message = str(info.value)
    assert f"ligne {line_of(3)} : {fragment}" in message
    assert "Aucune commune n'a été importée." in message
    assert snapshot() == before


def test_wrong_number_of_fields_is_refused_and_nothing_is_stored(write_communes):
    rows = sample_rows()
    rows[4] = rows[4][:5]
    with pytest.raises(CommandError, match=rf"ligne {line_of(4)} : 5 champ\(s\) au lieu des 9 attendus"):
        run_import(write_communes(rows))
    assert Commune.objects.count() == 0


def test_missing_column_is_refused_and_nothing_is_stored(write_communes):
    header = "code\tname\tdepartement\tregion\tzone\tsiren\tlatitude\tlongitude"
    rows = [[v for i, v in enumerate(r) if i != 5] for r in sample_rows()]
    with pytest.raises(CommandError, match="colonne\\(s\\) manquante\\(s\\) dans l'en-tête : population"):
        run_import(write_communes(rows, header=header))
    assert Commune.objects.count() == 0


def test_bad_encoding_is_refused_and_nothing_is_stored(write_communes):
    text = (
        "code\tname\tdepartement\tregion\tzone\tpopulation\tsiren\tlatitude\tlongitude\n"
        "01001\tL'Abergement-Clémenciat\t01\t84\tmetro\t860\t\t\t\n"
    )
    with pytest.raises(CommandError, match="ligne 2 : encodage invalide"):
        run_import(write_communes(raw=text.encode("cp1252")))
    assert Commune.objects.count() == 0


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(CommandError, match="fichier introuvable"):
        run_import(tmp_path / "absent.tsv")


def test_dry_run_validates_and_counts_without_writing(write_communes):
    output = run_import(write_communes(), "--dry-run")
    assert "Simulation (rien n'est écrit) : 5 créées, 0 mises à jour, 0 inchangées" in output
    assert Commune.objects.count() == 0


def test_import_that_changes_something_is_written_in_the_audit_trail(write_communes):
    run_import(write_communes())
    run_import(write_communes())  # unchanged: no second event
    events = list(AuditEvent.objects.filter(action="referentiel.communes_imported"))
    assert len(events) == 1
    assert '"created":5' in events[0].canonical


def test_real_fixture_imports_in_a_few_seconds_then_is_unchanged():
    started = time.process_time()  # CPU time: meaningful even on a loaded machine
    output = run_import()
    elapsed = time.process_time() - started

    assert "34969 créées, 0 mises à jour, 0 inchangées" in output
    assert Commune.objects.count() == 34_969
    assert Commune.objects.filter(population__lte=3500).count() == 31_675
    assert elapsed < 20, f"import trop lent : {elapsed:.1f} s de calcul"
    assert "0 créées, 0 mises à jour, 34969 inchangées" in run_import(default_fixture_path())


def test_renamed_commune_with_new_coordinates_is_updated(write_communes):
    run_import(write_communes())
    rows = sample_rows()
    rows[0][1] = "L'Abergement-Clémenciat-sur-Veyle"
    rows[0][7:9] = ["46.150000", "4.920000"]
    rows[2][7:9] = ["16.271000", "-61.504000"]

    output = run_import(write_communes(rows))

    assert "0 créées, 2 mises à jour, 3 inchangées" in output
    assert "Champs modifiés : name, latitude, longitude." in output
    abergement = Commune.objects.get(code="01001")
    assert abergement.name == "L'Abergement-Clémenciat-sur-Veyle"
    assert (abergement.latitude, abergement.longitude) == (Decimal("46.150000"), Decimal("4.920000"))
    abymes = Commune.objects.get(code="97101")
    assert (abymes.latitude, abymes.longitude, abymes.population) == (
        Decimal("16.271000"),
        Decimal("-61.504000"),
        53000,
    )
    assert "0 créées, 0 mises à jour, 5 inchangées" in run_import(write_communes(rows))


@pytest.mark.django_db
def test_commune_absent_from_a_new_cog_is_no_longer_current(tmp_path):
    from fonds.referentiel.importer import read_communes_file
    from fonds.referentiel.upsert import upsert_communes

    Commune.objects.create(
        code="01999", name="Ancienne commune fusionnée", departement="01", region="84", population=120
    )
    sample = read_communes_file(default_fixture_path())
    upsert_communes(sample.records[:50])
    assert Commune.objects.get(code="01999").is_current is False
    assert Commune.objects.get(code=sample.records[0].code).is_current is True
