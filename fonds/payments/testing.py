"""Helpers for other stages' tests that walk a batch through the payment steps without its pages."""

from __future__ import annotations


def travel_to_execution_date(clock, batch) -> None:
    """Tests only: move ``clock`` (the ``clock`` fixture, ``fonds.clock``) to the batch's requested
    execution date, so that its execution may be recorded (never backwards)."""
    if clock.today() < batch.execution_date:
        clock.travel_to(batch.execution_date)
