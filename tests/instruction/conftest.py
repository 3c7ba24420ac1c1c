"""Helpers for the grant-amount tests."""

import pytest

from fonds.referentiel.rules import default_rules


@pytest.fixture
def params():
    """A fresh copy of the règlement's default rule parameters."""
    return default_rules()


@pytest.fixture
def world(db):
    """A campaign, an instructor, and a dossier of a 800-inhabitant commune in instruction."""
    from fonds.dossiers.services import perform
    from tests.factories import make_campaign, make_commune, make_dossier, make_user

    campaign = make_campaign()
    commune = make_commune(population=800)
    porteur = make_user("porteur", commune=commune)
    instructeur = make_user("instructeur")
    dossier = make_dossier(campaign=campaign, commune=commune, porteur=porteur)
    perform(dossier, "submit", by=porteur)
    perform(dossier, "start_instruction", by=instructeur)
    return dict(campaign=campaign, commune=commune, porteur=porteur, instructeur=instructeur, dossier=dossier)


MANUAL_FULL = {"participation": 25, "inclusion": 20, "quality": 20, "low_carbon": 10, "budget": 10}


def scores(points: dict | None = None, comment: str = "Justification.") -> dict:
    return {code: (value, comment) for code, value in (points or MANUAL_FULL).items()}
