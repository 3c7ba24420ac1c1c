"""Columns contributed by the committee and payment stages: ``columns()`` → ``[(key, label,
kind)]``, ``values(dossier_ids)()`` → ``{dossier_id: {key: value}}`` (two queries a chunk). Paid:
advance and balance orders paid; recovered: recovery orders paid; session and votes: the
dossier's latest agenda item."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

from fonds.comite.models import AgendaItem, Session
from fonds.payments.models import OrderKind, OrderState, PaymentOrder

from .sql import _decimal, local_date, send_in

CENT = Decimal("0.01")
COLUMNS = [
    ("montant_verse", "Montant versé (€)", "decimal"),
    ("montant_reverse", "Montant reversé (€)", "decimal"),
    ("seance_comite", "Séance du comité", "date"),
    ("decision_comite", "Décision du comité", "text"),
    ("votes", "Votes (pour / contre / abstentions)", "text"),
]


def columns() -> list[tuple[str, str, str]]:
    return COLUMNS


def _votes(tally: dict | None) -> str | None:
    if not tally:
        return None
    text = (
        f"{tally.get('pour', 0)} pour, {tally.get('contre', 0)} contre, "
        f"{tally.get('abstention', 0)} abstention(s)"
    )
    if tally.get("casting_vote"):
        text += ", voix prépondérante du président"
    return text + (" : adopté" if tally.get("adopted") else " : non adopté")


def values(ids: list[int]) -> Callable[[], dict[int, dict]]:
    """The columns' values of the dossiers ``ids``: two queries sent now (inside
    ``sql.pipeline()``, run by the server meanwhile), read by the function returned."""
    paid_rows = send_in(
        f"SELECT dossier_id, kind, SUM(amount) FROM {PaymentOrder._meta.db_table} WHERE state = %s AND "
        f"dossier_id {{in_ids}} GROUP BY dossier_id, kind",
        ids,
        [OrderState.PAID],
    )
    item_rows = send_in(
        f"SELECT i.dossier_id, s.starts_at, i.id, i.outcome, i.tally FROM {AgendaItem._meta.db_table} i "
        f"JOIN {Session._meta.db_table} s ON s.id = i.session_id WHERE i.dossier_id {{in_ids}}",
        ids,
    )

    def read() -> dict[int, dict]:
        found: dict[int, dict] = {}
        for dossier_id, kind, total in paid_rows():
            key = "montant_reverse" if kind == OrderKind.RECOVERY else "montant_verse"
            row = found.setdefault(dossier_id, {})
            row[key] = ((row.get(key) or Decimal("0")) + _decimal(total)).quantize(CENT)
        outcomes = dict(AgendaItem.Outcome.choices)
        latest: dict[int, tuple] = {}
        for dossier_id, starts_at, item_id, outcome, tally in item_rows():
            if dossier_id not in latest or (starts_at, item_id) > latest[dossier_id][:2]:
                latest[dossier_id] = (starts_at, item_id, outcome, tally)
        for dossier_id, (starts_at, _, outcome, tally) in latest.items():
            if isinstance(tally, str):
                tally = json.loads(tally or "{}")
            row = found.setdefault(dossier_id, {})
            row["seance_comite"] = local_date(starts_at)
            row["decision_comite"] = outcomes.get(outcome) if outcome else None
            row["votes"] = _votes(tally)
        return found

    return read
