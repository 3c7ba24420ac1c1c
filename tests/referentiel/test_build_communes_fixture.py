"""``manage.py build_communes_fixture``: from Etalab's communes.json to the referential file."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from fonds.referentiel.importer import read_communes_file

ETALAB_SAMPLE = [
    {
        "code": "01001",
        "nom": "L'Abergement-Clémenciat",
        "zone": "metro",
        "departement": "01",
        "region": "84",
        "type": "commune-actuelle",
        "siren": "210100012",
        "codesPostaux": ["01400"],
        "population": 860,
    },
    {
        "code": "01324",
        "nom": "Rignat",
        "zone": "metro",
        "departement": "01",
        "region": "84",
        "type": "commune-associee",
        "chefLieu": "01245",
    },
    {
        "code": "13201",
        "nom": "Marseille 1er Arrondissement",
        "zone": "metro",
        "departement": "13",
        "region": "93",
        "type": "arrondissement-municipal",
        "population": 40000,
    },
    {
        "code": "2A004",
        "nom": "Ajaccio",
        "zone": "metro",
        "departement": "2A",
        "region": "94",
        "type": "commune-actuelle",
        "siren": "212000046",
        "population": 73615,
    },
    {
        "code": "97101",
        "nom": "Les Abymes",
        "zone": "drom",
        "departement": "971",
        "region": "01",
        "type": "commune-actuelle",
        "siren": "219710018",
        "population": 53000,
    },
    {
        "code": "98411",
        "nom": "Îles Saint-Paul et Nouvelle-Amsterdam",
        "zone": "com",
        "departement": "984",
        "region": "984",
        "type": "commune-actuelle",
    },
]


@pytest.fixture
def etalab_package(tmp_path):
    """A minimal unpacked npm tarball: package/package.json and package/data/communes.json."""
    data = tmp_path / "package" / "data"
    data.mkdir(parents=True)
    (tmp_path / "package" / "package.json").write_text(
        json.dumps({"name": "@etalab/decoupage-administratif", "version": "9.9.9"})
    )
    source = data / "communes.json"
    source.write_text(json.dumps(ETALAB_SAMPLE, ensure_ascii=False), encoding="utf-8")
    return source


def build(source, output) -> str:
    out = io.StringIO()
    call_command("build_communes_fixture", "--from", str(source), "-o", str(output), stdout=out)
    return out.getvalue()


def test_build_keeps_only_current_communes_sorted_by_code(etalab_package, tmp_path):
    output = tmp_path / "out" / "communes.tsv.gz"
    message = build(etalab_package, output)

    communes = read_communes_file(output)
    assert [r.code for r in communes.records] == ["01001", "2A004", "97101", "98411"]
    assert communes.records[3].population is None and communes.records[3].siren == ""
    assert "4 communes actuelles, dont 1 de 3\u00a0500 habitants ou moins" in message


def test_build_records_source_version_and_licence_in_file_and_sidecar(etalab_package, tmp_path):
    output = tmp_path / "communes.tsv.gz"
    build(etalab_package, output)

    communes = read_communes_file(output)
    assert communes.metadata["source"].startswith("@etalab/decoupage-administratif 9.9.9 (npm)")
    assert "Licence Ouverte" in communes.metadata["licence"]
    sidecar = (tmp_path / "communes.SOURCE.md").read_text(encoding="utf-8")
    assert "version **9.9.9**" in sidecar
    assert "npm pack @etalab/decoupage-administratif@9.9.9" in sidecar
    assert "build_communes_fixture --from /tmp/package/data/communes.json" in sidecar
    assert communes.sha256 in sidecar
    assert "| communes actuelles | 4 |" in sidecar


def test_build_is_byte_for_byte_reproducible(etalab_package, tmp_path):
    first, second = tmp_path / "a" / "communes.tsv.gz", tmp_path / "b" / "communes.tsv.gz"
    build(etalab_package, first)
    build(etalab_package, second)
    assert first.read_bytes() == second.read_bytes()


def test_build_uses_coordinates_when_the_source_has_them(etalab_package, tmp_path):
    data = json.loads(etalab_package.read_text(encoding="utf-8"))
    data[0]["centre"] = {"type": "Point", "coordinates": [4.9261, 46.1536]}
    etalab_package.write_text(json.dumps(data), encoding="utf-8")
    output = tmp_path / "communes.tsv"
    build(etalab_package, output)
    first = read_communes_file(output).records[0]
    assert (first.latitude, first.longitude) == (Decimal("46.153600"), Decimal("4.926100"))


def test_build_refuses_a_file_that_is_not_json(tmp_path):
    source = tmp_path / "communes.json"
    source.write_text("pas du json", encoding="utf-8")
    with pytest.raises(CommandError, match="n'est pas un fichier JSON UTF-8 valide"):
        build(source, tmp_path / "communes.tsv.gz")


def test_build_refuses_a_source_without_current_communes(tmp_path):
    source = tmp_path / "communes.json"
    source.write_text(json.dumps([ETALAB_SAMPLE[1]]), encoding="utf-8")
    with pytest.raises(CommandError, match="Aucune commune de type « commune-actuelle »"):
        build(source, tmp_path / "communes.tsv.gz")
