"""A dossier in instruction, its instructor, and a helper asking an expert about it."""

import datetime as dt

import pytest

from fonds import clock


@pytest.fixture
def avis_world(db, settings, tmp_path):
    from fonds.dossiers.services import perform
    from tests.factories import make_campaign, make_commune, make_dossier, make_user

    settings.MEDIA_ROOT = tmp_path
    instructeur = make_user("instructeur")
    dossiers = []
    for population in (800, 1200):  # one dossier per commune and campaign (E7)
        commune = make_commune(population=population)
        porteur = make_user("porteur", commune=commune)
        dossier = make_dossier(campaign=make_campaign(), commune=commune, porteur=porteur)
        perform(dossier, "submit", by=porteur)
        perform(dossier, "start_instruction", by=instructeur)
        dossiers.append(dossier)
    return dict(
        porteur=dossiers[0].created_by, instructeur=instructeur, dossier=dossiers[0], other=dossiers[1]
    )


def in_days(days: int) -> dt.date:
    return clock.today() + dt.timedelta(days=days)


@pytest.fixture
def ask(avis_world):
    from fonds.avis import services

    def ask(dossier=None, email="expert.prefecture@interieur.gouv.fr", days=10, **kw):
        return services.request_avis(
            dossier or avis_world["dossier"],
            by=avis_world["instructeur"],
            email=email,
            question=kw.pop("question", "La commune est-elle en situation financière saine ?"),
            deadline=in_days(days),
            **kw,
        )

    return ask
