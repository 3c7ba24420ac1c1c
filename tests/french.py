"""French dates as the fund's letters and pages write them, spelled out here rather than read from
``fonds.formats`` so that a test comparing a document with them can fail."""

from __future__ import annotations

MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


def french_date(day) -> str:
    """``day`` (a date or datetime) as Django's ``"j F Y"`` writes it in French: « 5 décembre 2026 »."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"
