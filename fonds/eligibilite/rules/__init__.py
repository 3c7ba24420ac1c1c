"""The eligibility rules E1–E9 of the règlement, small pure functions registered in E1..E9 order
(``REGISTRY``); ``evaluate_all`` runs them all. A rule, ``(dossier, ruleset, *, at, context=None)
-> Outcome``, reads its thresholds from ``ruleset.params["eligibility"]``, explains in French,
writes nothing and makes at most one query (none when ``context`` answers for the dossier)."""

from __future__ import annotations

from . import budget, campaign, commune, project  # noqa: F401 — they register the rules
from .base import REGISTRY, Outcome
from .campaign import ChunkContext, chunk_context

__all__ = ["REGISTRY", "Outcome", "ChunkContext", "chunk_context", "evaluate_all"]


def evaluate_all(dossier, ruleset, *, at, context: ChunkContext | None = None) -> list[Outcome]:
    """Every rule's outcome, in E1..E9 order (``context``: see `ChunkContext`)."""
    return [func(dossier, ruleset, at=at, context=context) for func in REGISTRY.values()]
