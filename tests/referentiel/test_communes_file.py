"""Reading and validating a commune file — pure Python, no database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fonds.referentiel.importer import CommuneFileError, default_fixture_path, read_communes_file

from .conftest import FIRST_ROW_LINE, HEADER, SAMPLE_COMMENTS, line_of, sample_rows

# The règlement quotes 34,969 current communes and 31,679 of them at or below 3,500 inhabitants.
# @etalab/decoupage-administratif 6.0.0 (and 5.3.0, same populations) gives 34,969 and 31,675:
# the 4-commune gap is reported in fixtures/communes.SOURCE.md; the tests pin the source's figures.
REAL_CURRENT_COMMUNES = 34_969
REAL_AT_MOST_3500 = 31_675


def test_valid_sample_is_read_with_optional_fields_empty(write_communes):
    communes = read_communes_file(write_communes())

    assert [r.code for r in communes.records] == ["01001", "2A004", "97101", "97501", "98411"]
    first = communes.records[0]
    assert (first.name, first.departement, first.region, first.zone, first.population, first.siren) == (
        "L'Abergement-Clémenciat",
        "01",
        "84",
        "metro",
        860,
        "210100012",
    )
    assert (first.latitude, first.longitude) == (Decimal("46.153600"), Decimal("4.926100"))
    taaf = communes.records[-1]
    assert (taaf.population, taaf.siren, taaf.latitude, taaf.zone) == (None, "", None, "com")
    assert communes.metadata["source"] == "échantillon de test"
    assert len(communes.sha256) == 64


def test_gzip_file_is_read_like_plain_text(write_communes):
    plain = read_communes_file(write_communes())
    compressed = read_communes_file(write_communes(name="communes.tsv.gz"))
    assert compressed.records == plain.records


def test_columns_may_come_in_any_order(write_communes):
    columns = HEADER.split("\t")
    order = list(reversed(range(len(columns))))
    rows = [[row[i] for i in order] for row in sample_rows()]
    communes = read_communes_file(write_communes(rows, header="\t".join(columns[i] for i in order)))
    assert communes.records == read_communes_file(write_communes()).records


def test_windows_line_endings_and_utf8_bom_are_accepted(write_communes):
    text = "\r\n".join([HEADER] + ["\t".join(r) for r in sample_rows()]) + "\r\n"
    communes = read_communes_file(write_communes(raw=b"\xef\xbb\xbf" + text.encode("utf-8")))
    assert len(communes) == 5


def _bad(write_communes, index: int, column: int, value: str):
    rows = sample_rows()
    rows[index][column] = value
    return write_communes(rows)


def _refused(path) -> CommuneFileError:
    with pytest.raises(CommuneFileError) as info:
        read_communes_file(path)
    return info.value


@pytest.mark.parametrize(
    ("column", "value", "fragment"),
    [
        (5, "huit cents", "population « huit cents » non numérique"),
        (5, "-5", "population « -5 » non numérique"),
        (5, "860.5", "non numérique"),
        (0, "1001", "code INSEE « 1001 » invalide"),
        (0, "ABCDE", "code INSEE « ABCDE » invalide"),
        (0, "02001", "ne commence pas par le département 01"),
        (4, "outremer", "zone « outremer » inconnue"),
        (4, "drom", "zone « drom » incohérente avec le département 01"),
        (1, "", "nom de commune vide"),
        (2, "1", "département « 1 » invalide"),
        (3, "ABC", "région « ABC » invalide"),
        (6, "12345", "SIREN « 12345 » invalide"),
        (7, "123.5", "latitude « 123.5 » hors de l'intervalle"),
        (8, "est", "longitude « est » n'est pas un nombre décimal"),
    ],
    ids=[
        "population-text",
        "population-negative",
        "population-decimal",
        "code-too-short",
        "code-letters",
        "code-other-departement",
        "zone-unknown",
        "zone-inconsistent",
        "name-empty",
        "departement-bad",
        "region-bad",
        "siren-bad",
        "latitude-out-of-range",
        "longitude-not-a-number",
    ],
)
def test_bad_value_is_refused_with_its_line_number(write_communes, column, value, fragment):
    error = _refused(_bad(write_communes, 0, column, value))
    assert error.lines == [line_of(0)]
    assert f"ligne {line_of(0)} : " in str(error)
    assert fragment in str(error)


def test_latitude_without_longitude_is_refused(write_communes):
    error = _refused(_bad(write_communes, 1, 7, "41.9"))
    assert error.lines == [line_of(1)]
    assert "latitude et longitude doivent être renseignées ensemble" in str(error)


def test_missing_column_is_refused_on_the_header_line(write_communes):
    header = HEADER.replace("\tpopulation", "")
    rows = [[v for i, v in enumerate(r) if i != 5] for r in sample_rows()]
    error = _refused(write_communes(rows, header=header))
    assert error.lines == [FIRST_ROW_LINE - 1]
    assert "colonne(s) manquante(s) dans l'en-tête : population" in str(error)


def test_unknown_column_is_refused(write_communes):
    error = _refused(write_communes(header=HEADER.replace("population", "popultion")))
    assert "colonne(s) manquante(s) dans l'en-tête : population" in str(error)
    assert "colonne(s) inconnue(s) dans l'en-tête : popultion" in str(error)


def test_wrong_number_of_fields_is_refused_with_its_line_number(write_communes):
    rows = sample_rows()
    rows[3] = rows[3][:-2]
    error = _refused(write_communes(rows))
    assert error.lines == [line_of(3)]
    assert "7 champ(s) au lieu des 9 attendus" in str(error)


def test_extra_field_is_refused(write_communes):
    rows = sample_rows()
    rows[0] = rows[0] + ["en trop"]
    error = _refused(write_communes(rows))
    assert error.lines == [line_of(0)]
    assert "10 champ(s) au lieu des 9 attendus" in str(error)


def test_bad_encoding_is_refused_with_its_line_number(write_communes):
    lines = SAMPLE_COMMENTS + [HEADER] + ["\t".join(r) for r in sample_rows()]
    raw = "\n".join(lines).encode("utf-8").replace("Clémenciat".encode(), "Clémenciat".encode("latin-1"))
    error = _refused(write_communes(raw=raw))
    assert error.lines == [line_of(0)]
    assert "encodage invalide" in str(error) and "UTF-8" in str(error)


def test_duplicate_code_is_refused_naming_both_lines(write_communes):
    rows = sample_rows()
    rows.append(list(rows[0]))
    error = _refused(write_communes(rows))
    assert error.lines == [line_of(5)]
    assert f"code INSEE 01001 en double (déjà présent ligne {line_of(0)})" in str(error)


def test_every_bad_line_is_listed(write_communes):
    rows = sample_rows()
    rows[0][5] = "beaucoup"
    rows[3][4] = "ailleurs"
    error = _refused(write_communes(rows))
    assert error.lines == [line_of(0), line_of(3)]
    assert "(2 erreurs)" in str(error)


def test_declared_row_count_mismatch_means_truncated_file(write_communes):
    error = _refused(write_communes(comments=SAMPLE_COMMENTS + ["# lignes: 6"]))
    assert "annonce 6 communes mais en contient 5 (fichier tronqué ?)" in str(error)


def test_empty_file_is_refused(write_communes):
    assert "fichier vide" in str(_refused(write_communes(raw=b"")))


def test_header_without_rows_is_refused(write_communes):
    error = _refused(write_communes([]))
    assert "aucune commune après l'en-tête" in str(error)


def test_corrupted_gzip_is_refused(write_communes):
    path = write_communes(name="communes.tsv.gz")
    path.write_bytes(path.read_bytes()[:40])
    assert "archive gzip illisible ou tronquée" in str(_refused(path))


def test_missing_file_is_refused(tmp_path):
    assert "fichier introuvable" in str(_refused(tmp_path / "absent.tsv"))


# --- the committed fixture ------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_fixture():
    return read_communes_file(default_fixture_path())


def test_real_fixture_holds_every_current_commune(real_fixture):
    assert len(real_fixture) == REAL_CURRENT_COMMUNES
    assert real_fixture.metadata["lignes"] == str(REAL_CURRENT_COMMUNES)


def test_real_fixture_communes_at_most_3500_inhabitants(real_fixture):
    assert real_fixture.count_population_at_most(3500) == REAL_AT_MOST_3500


def test_real_fixture_zones_and_missing_populations(real_fixture):
    zones = {}
    for r in real_fixture.records:
        zones[r.zone] = zones.get(r.zone, 0) + 1
    assert zones == {"metro": 34_746, "drom": 129, "com": 94}
    assert sorted(r.code for r in real_fixture.records if r.population is None) == [
        "98411",
        "98412",
        "98413",
        "98414",
        "98415",
        "98901",
    ]


def test_real_fixture_carries_its_source_and_licence(real_fixture):
    assert real_fixture.metadata["source"].startswith("@etalab/decoupage-administratif 6.0.0")
    assert "Licence Ouverte" in real_fixture.metadata["licence"]
    sidecar = default_fixture_path().with_name("communes.SOURCE.md").read_text(encoding="utf-8")
    assert real_fixture.sha256 in sidecar
    assert "npm pack @etalab/decoupage-administratif@6.0.0" in sidecar


def test_real_fixture_is_small(real_fixture):
    assert default_fixture_path().stat().st_size < 700 * 1024
