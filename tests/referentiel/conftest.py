"""Helpers for the commune referential tests: small commune files written in ``tmp_path``."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from fonds.referentiel.importer import COLUMNS

HEADER = "\t".join(COLUMNS)

#: five valid rows covering metro (incl. Corsica), DROM and COM, with optional fields left empty
SAMPLE_ROWS = [
    ["01001", "L'Abergement-Clémenciat", "01", "84", "metro", "860", "210100012", "46.153600", "4.926100"],
    ["2A004", "Ajaccio", "2A", "94", "metro", "73615", "212000046", "", ""],
    ["97101", "Les Abymes", "971", "01", "drom", "53000", "219710018", "", ""],
    ["97501", "Miquelon-Langlade", "975", "975", "com", "596", "", "", ""],
    ["98411", "Îles Saint-Paul et Nouvelle-Amsterdam", "984", "984", "com", "", "", "", ""],
]
SAMPLE_COMMENTS = ["# source: échantillon de test", "# licence: Licence Ouverte"]
#: the physical line number of SAMPLE_ROWS[i] in a file written by ``write_communes``
FIRST_ROW_LINE = len(SAMPLE_COMMENTS) + 2


def sample_rows() -> list[list[str]]:
    return [list(row) for row in SAMPLE_ROWS]


def line_of(index: int) -> int:
    return FIRST_ROW_LINE + index


@pytest.fixture
def write_communes(tmp_path):
    """``write_communes(rows=None, *, header=HEADER, comments=SAMPLE_COMMENTS, name=..., raw=None)``
    → path."""
    counter = iter(range(1, 1000))

    def write(
        rows=None,
        *,
        header: str | None = HEADER,
        comments=SAMPLE_COMMENTS,
        name: str | None = None,
        raw: bytes | None = None,
    ) -> Path:
        path = tmp_path / (name or f"communes-{next(counter)}.tsv")
        if raw is None:
            lines = list(comments)
            if header is not None:
                lines.append(header)
            for row in sample_rows() if rows is None else rows:
                lines.append(row if isinstance(row, str) else "\t".join(row))
            raw = ("\n".join(lines) + "\n").encode("utf-8")
        if path.suffix == ".gz":
            raw = gzip.compress(raw)
        path.write_bytes(raw)
        return path

    return write
