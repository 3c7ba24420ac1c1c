"""The receiver of ``dossier_transitioned``: moves the dossier's process in the transition's
transaction (``workflows.process``; a chunk of ``perform_many`` at once, ``workflows.batch``)."""

from __future__ import annotations

from .batch import advance_many
from .process import WorkflowOutOfSync, advance_process, align, start_process

__all__ = ["WorkflowOutOfSync", "align", "on_dossier_transitioned"]


def on_dossier_transitioned(
    sender, *, dossier, transition, by=None, role="", source="", target="", batch=None, **kwargs
):
    """Receiver of ``fonds.dossiers.signals.dossier_transitioned``.

    Sent by ``perform_many`` (``batch`` given), the move is deferred and done for the whole chunk
    by `advance_many` before ``perform_many`` returns (same transaction)."""
    if batch is not None and transition != "submit":
        batch.defer(
            "workflows.advance",
            advance_many,
            dict(dossier=dossier, transition=transition, by=by, role=role, source=source, target=target),
        )
        return
    if transition == "submit":
        start_process(dossier, by=by)
    else:
        advance_process(dossier, transition=transition, by=by, role=role, source=source, target=target)
