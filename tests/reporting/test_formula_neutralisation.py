"""Formula injection through whitespace (issue 14): a text whose first non-blank character is
``= + - @`` is neutralised (``'`` prefix) in CSV, XLSX and ODS alike; ordinary texts, with or
without a leading blank, are written exactly as before."""

from __future__ import annotations

import csv
import io
import zipfile
from xml.etree import ElementTree as ET

import pytest
from openpyxl import load_workbook

from fonds.reporting import exports, formats
from fonds.reporting.decisions import Column
from tests.factories import make_campaign, make_commune

from .helpers import dossier_in

pytestmark = pytest.mark.django_db

PAYLOADS = [' =HYPERLINK("http://x")', "   +33 1", " \t=1+1", "\u00a0@SUM(A1)", "\n-2+3", "\u3000=1"]
ORDINARY = ["Saint-Exemple", " Saint-Exemple", "Le-Mont", "1 000", "", "\u00a0Hameau"]


def exported_commune_names(qs) -> dict[str, str]:
    """The « Commune » cell of the first row in each format."""
    data = b"".join(exports.csv_stream(qs, "csv"))
    header, first = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[:2]
    names = {"csv": dict(zip(header, first))["Commune"]}
    out = io.BytesIO()
    exports.write_decisions(out, qs, "xlsx")
    names["xlsx"] = load_workbook(io.BytesIO(out.getvalue())).active.cell(row=2, column=3).value
    out = io.BytesIO()
    exports.write_decisions(out, qs, "ods")
    ns = {"table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0"}
    row = ET.fromstring(zipfile.ZipFile(out).read("content.xml")).findall(".//table:table-row", ns)[1]
    names["ods"] = "".join(row.findall("table:table-cell", ns)[2].itertext())
    return names


@pytest.mark.parametrize("name", PAYLOADS)
def test_csv_neutralises_leading_whitespace_formula(name):
    campaign = make_campaign()
    dossier_in("submitted", campaign=campaign, commune=make_commune(name=name))
    qs, _ = exports.selection(campaign=campaign)
    names = exported_commune_names(qs)
    for fmt, value in names.items():
        # XML turns \r into \n when read back; XLSX/ODS keep every other character
        assert value.replace("\r", "\n") == ("'" + name).replace("\r", "\n"), fmt


@pytest.mark.parametrize("text", PAYLOADS)
def test_leading_whitespace_formula_is_formula_like(text):
    assert formats.is_formula_like(text)
    assert formats.neutralize(text) == "'" + text


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_text_is_written_unchanged(text):
    assert not formats.is_formula_like(text)
    expected = io.StringIO()
    csv.writer(expected, lineterminator="\r\n").writerows([["Commune"], [text]])
    cols = [Column("commune", "Commune", "text")]
    assert b"".join(formats.csv_chunks(cols, [[text]])) == expected.getvalue().encode()


def test_every_unicode_blank_starts_a_closer_look():
    assert formats._WHITESPACE == {chr(c) for c in range(0x110000) if chr(c).isspace()}
