"""Columns contributed by the committee and payment stages (amounts paid/recovered, session, votes).

``columns()`` → ``[(key, label, kind)]``; ``values(dossier_ids)`` → ``{dossier_id: {key: value}}``.
Filled from fonds.comite / fonds.payments models once they exist.
"""
from __future__ import annotations


def columns() -> list[tuple[str, str, str]]:
    return []


def values(ids: list[int]) -> dict[int, dict]:
    return {}
