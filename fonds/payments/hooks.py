"""The payment stage's hooks on dossier transitions (registered from PaymentsConfig.ready())."""
from __future__ import annotations

from fonds.dossiers import services


def create_advance(dossier, by, kwargs, motivation):
    """After ``accept_agreement``: the advance order (same transaction; idempotent)."""
    from .services import create_advance_order

    order = create_advance_order(dossier, by=by)
    kwargs["advance_order"] = order.reference if order is not None else None


def register() -> None:
    services.after("accept_agreement", order=60)(create_advance)
