"""The variable texts a campaign's documents print (authority, the fund's address, signatory,
legal mentions): the stages read them here; ``fonds.administration`` (a higher layer, where an
administrator edits them) registers the provider at start-up. Without a provider: no texts, and
each document keeps its own wording."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings

_provider: Callable | None = None


def register(provider: Callable) -> None:
    """``provider(campaign) -> dict`` of the texts (keys: authority, fund_address, signatory_name,
    signatory_title, legal_mentions)."""
    global _provider
    _provider = provider


def campaign_texts(campaign) -> dict:
    return _provider(campaign) if _provider is not None and campaign is not None else {}


def letterhead(dossier, authority: str) -> dict:
    """The context every document about a dossier starts with: the fund's name, the campaign's texts
    and authority (``authority`` where the administrator set none), the dossier, commune, campaign."""
    texts = campaign_texts(dossier.campaign)  # set by an administrator per campaign
    return {
        "fund_name": settings.FJJ_FUND_NAME,
        "authority": texts.get("authority") or authority,
        "texts": texts,
        "dossier": dossier,
        "commune": dossier.commune,
        "campaign": dossier.campaign,
    }
