"""The conversation's tests reuse the front office's cast (porteurs of two communes, the fund's
agents) and add a dossier waiting for corrections."""

import pytest

from fonds.dossiers.services import perform
from tests.suivi import conftest as suivi

# the front office's fixtures, shared
cast, dossier = suivi.cast, suivi.dossier

REQUEST = "Merci de préciser les objectifs et de joindre la délibération signée."


@pytest.fixture
def submitted(cast, dossier):
    perform(dossier, "submit", by=cast.porteur)
    perform(dossier, "start_instruction", by=cast.instructeur)
    return dossier


@pytest.fixture
def corrections(cast, submitted):
    perform(
        submitted,
        "request_corrections",
        by=cast.instructeur,
        motivation=REQUEST,
        data={"fields": ["objectives", "budget_lines"], "documents": ["deliberation"]},
    )
    return submitted
