"""A cast of every role and a dossier whose participants' ages are recognisable on any page.

The ages are chosen so that their sequence ("13, 29, 17…", "37, 58") appears nowhere else: a page
or a PDF that lists them, whatever the separator, is caught by ``lists_ages``."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

import pytest

from fonds import clock
from fonds.dossiers.editing import update_content
from fonds.dossiers.models import Dossier
from fonds.dossiers.states import Status
from fonds.instruction.models import Assessment
from tests.factories import make_campaign, make_commune, make_dossier, make_user

YOUTH = [13, 29, 17, 23, 19, 27, 16, 21]
LEADERS = [37, 58]
#: every role of the règlement, and whether ``fonds.privacy.access`` lets it see minors' data
ROLES = {
    "porteur": True,
    "instructeur": True,
    "finance": True,
    "auditeur": True,
    "admin": True,
    "comite": False,
}


def lists_ages(text: str, ages: list[int]) -> bool:
    """Whether ``text`` lists ``ages`` (their first three in a row, separated by spaces, commas…)."""
    pattern = r"[\s,;\[\]]{1,6}".join(str(a) for a in ages[:3])
    return re.search(rf"(?<!\d){pattern}(?!\d)", text) is not None


def lists_any_ages(text: str) -> bool:
    return lists_ages(text, YOUTH) or lists_ages(text, LEADERS)


@dataclass
class Cast:
    campaign: object
    porteur: object
    other_porteur: object
    instructeur: object
    comite: object
    finance: object
    auditeur: object
    admin: object


@pytest.fixture
def cast(db) -> Cast:
    commune = make_commune(population=640)
    return Cast(
        campaign=make_campaign(),
        porteur=make_user("porteur", commune=commune),
        other_porteur=make_user("porteur", commune=make_commune(population=900)),
        instructeur=make_user("instructeur"),
        comite=make_user("comite", first_name="Camille", last_name="Membre"),
        finance=make_user("finance"),
        auditeur=make_user("auditeur"),
        admin=make_user("admin"),
    )


@pytest.fixture
def dossier(cast) -> Dossier:
    """An eligible dossier whose ages were entered by the mayor (so the trail holds them, sealed)."""
    dossier = make_dossier(campaign=cast.campaign, commune=cast.porteur.commune, porteur=cast.porteur)
    update_content(dossier, by=cast.porteur, fields={"youth_ages": YOUTH, "leader_ages": LEADERS})
    dossier.refresh_from_db()
    assert dossier.youth_ages == YOUTH and dossier.leader_ages == LEADERS
    return dossier


def at_status(dossier, status, **fields) -> Dossier:
    """Test setup only (real changes go through perform): the stages before have their own tests."""
    Dossier.objects.filter(pk=dossier.pk).update(status=status, **fields)
    dossier.refresh_from_db()
    return dossier


@pytest.fixture
def with_report(cast, dossier):
    """The final report filed by the mayor (the planned ages repeated, the signed list joined)."""
    from fonds.suivi.testing import file_complete_report, travel_after_project

    travel_after_project(clock, dossier)  # the report comes after the trip
    due = dossier.end_date + dt.timedelta(days=60)
    at_status(dossier, Status.ADVANCE_PAID, approved_amount=Decimal("5670.00"), report_due=due)
    report = file_complete_report(dossier, by=cast.porteur)
    assert report.youth_ages == YOUTH and report.leader_ages == LEADERS
    return dossier


@pytest.fixture
def on_agenda(cast, dossier):
    """The dossier instructed and on the agenda of a committee session (the committee member sits on it)."""
    from fonds.comite import convocation, sessions

    at_status(
        dossier,
        Status.INSTRUCTED,
        proposed_amount=Decimal("5000.00"),
        opinion="favourable",
        instructor=cast.instructeur,
    )
    Assessment.objects.create(
        dossier=dossier, score_total=72, scored_criteria=6, complete=True, suggestion="favourable"
    )
    session = sessions.create_session(
        cast.campaign,
        by=cast.admin,
        starts_at=clock.now() + dt.timedelta(days=10),
        chair=cast.comite,
        place="Salle du conseil",
    )  # convenes the composition
    convocation.build_agenda(session, by=cast.admin)
    return session.items.get(dossier=dossier)
