import pytest

from tests.factories import make_campaign, make_commune, make_dossier, make_user
from tests.workflows.conftest import cast, new_dossier  # noqa: F401 — fixtures (a dossier walked along its path)


@pytest.fixture
def campaign(db):
    return make_campaign()


@pytest.fixture
def commune(db):
    return make_commune(population=900)


@pytest.fixture
def porteur(commune):
    return make_user("porteur", commune=commune)


@pytest.fixture
def porteur_client(client, porteur):
    client.force_login(porteur)
    return client


@pytest.fixture
def draft(campaign, commune, porteur):
    """A complete draft: passes E1–E9."""
    return make_dossier(campaign=campaign, commune=commune, porteur=porteur)


@pytest.fixture
def empty_draft(campaign, commune, porteur):
    return make_dossier(
        campaign=campaign, commune=commune, porteur=porteur, complete=False, title="Brouillon à compléter"
    )
