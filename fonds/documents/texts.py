"""The variable texts a campaign's documents print (authority, the fund's address, signatory,
legal mentions): the stages read them here; ``fonds.administration`` (a higher layer, where an
administrator edits them) registers the provider at start-up. Without a provider: no texts, and
each document keeps its own wording."""

from __future__ import annotations

from collections.abc import Callable

_provider: Callable | None = None


def register(provider: Callable) -> None:
    """``provider(campaign) -> dict`` of the texts (keys: authority, fund_address, signatory_name,
    signatory_title, legal_mentions)."""
    global _provider
    _provider = provider


def campaign_texts(campaign) -> dict:
    return _provider(campaign) if _provider is not None and campaign is not None else {}
