"""Builders for the workflow tests: a cast of users and a dossier walked along its process.

Dossiers come from the shared ``tests.factories`` (an eligible dossier by default: commune of
800 inhabitants, jumelage with a German town, the 4 required documents, 8 youths aged 14–19
and 2 leaders, 7 activity days starting 45 days from now inside the campaign's activity period,
own share 20 %, 6,000 € requested for 10,000 € of eligible costs, campaign window open).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from viewflow.workflow.models import Task

from fonds import clock
from fonds.accounts.roles import has_role
from fonds.comite.testing import Committee
from fonds.dossiers.services import perform
from fonds.dossiers.states import Forum, Status
from fonds.instruction.testing import ready_for_completion
from fonds.suivi.testing import acceptance_data, file_complete_report, travel_after_project
from tests.factories import make_campaign, make_commune, make_dossier, make_user

S = Status


@dataclass
class Cast:
    campaign: object
    commune: object
    other_commune: object
    porteur: object
    other_porteur: object
    instructeur: object
    instructeur2: object
    comite: object
    finance: object
    admin: object
    auditeur: object

    def all(self) -> dict:
        return {
            name: getattr(self, name)
            for name in self.__dataclass_fields__
            if name not in ("campaign", "commune", "other_commune")
        }


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # 9 users per test


@pytest.fixture
def cast(db) -> Cast:
    commune = make_commune(population=850)
    other = make_commune(population=1200)
    return Cast(
        campaign=make_campaign(),
        commune=commune,
        other_commune=other,
        porteur=make_user("porteur", commune=commune),
        other_porteur=make_user("porteur", commune=other),
        instructeur=make_user("instructeur"),
        instructeur2=make_user("instructeur"),
        comite=make_user("comite"),
        finance=make_user("finance"),
        admin=make_user("admin"),
        auditeur=make_user("auditeur"),
    )


@pytest.fixture
def new_dossier(cast):
    """A factory of eligible draft dossiers of the cast's commune (one per campaign: E7)."""

    def build(**extra):
        campaign = extra.pop("campaign", None) or make_campaign()
        return make_dossier(campaign=campaign, commune=cast.commune, porteur=cast.porteur, **extra)

    return build


# the main path: (transition, actor attribute of the cast, motivation, data)
MAIN_PATH = [
    ("submit", "porteur", "", {}),
    ("start_instruction", "instructeur", "", {}),
    ("request_corrections", "instructeur", "Merci de préciser le programme des activités.", {}),
    ("resubmit", "porteur", "", {}),
    ("complete_instruction", "instructeur", "", {"opinion": "favourable", "proposed_amount": "5000.00"}),
    ("schedule", "admin", "", {}),
    ("approve", "comite", "", {}),
    ("accept_agreement", "porteur", "", {}),
    ("pay_advance", "finance", "", {}),
    ("submit_report", "porteur", "", {}),
    ("settle", "finance", "", {"balance": "250.00"}),
]


SITTING = ("approve", "reject", "waitlist", "defer")


def act(cast, dossier, transition, actor=None, motivation="", data=None):
    """Fire ``transition`` as the cast member ``actor`` (a name, a user, or None for the system),
    from its forum: ``schedule`` on a new session's agenda, the committee's decisions in a sitting
    chaired by ``actor`` (``fonds.comite.testing``), the payment transitions from the payment
    services' forum, the deadlines from the system's."""
    user = getattr(cast, actor) if isinstance(actor, str) else actor
    if transition in SITTING:
        Committee(admin=cast.admin, chair=user, members=[user]).decide(
            dossier, transition, motivation=motivation, close=False
        )
        return dossier
    if transition == "schedule":
        session = Committee(admin=cast.admin, chair=cast.comite, members=[cast.comite]).session(
            dossier.campaign
        )
        data = {"session": session.pk, **(data or {})}
    forum = FORUMS.get(transition, Forum.DOSSIER)
    if transition == "complete_instruction" and user is not None and has_role(user, "instructeur"):
        ready_for_completion(dossier, by=user)  # the grid scored, verdicts settled (fonds.instruction)
        data = {"opinion": "favourable", **(data or {})}
    if (
        transition == "accept_agreement"
        and not data
        and user is not None
        and has_role(user, "porteur")
        and user.commune_id == dossier.commune_id
    ):
        data = acceptance_data(dossier)  # the convention read and accepted under a name (fonds.suivi)
    if transition == "submit_report":
        travel_after_project(clock, dossier)  # a final report is filed once the trip has happened
        file_complete_report(dossier, by=user)  # a complete final report (fonds.suivi); no-op for others
    return perform(dossier, transition, by=user, motivation=motivation, data=data or {}, forum=forum)


FORUMS = {
    "pay_advance": Forum.PAYMENTS,
    "settle": Forum.PAYMENTS,
    "recover": Forum.PAYMENTS,
    "expire_corrections": Forum.SYSTEM,
    "lapse": Forum.SYSTEM,
}


def walk(cast, dossier, until: str):
    """Fire the main path's transitions up to and including ``until``."""
    for transition, actor, motivation, data in MAIN_PATH:
        act(cast, dossier, transition, actor, motivation, data)
        if transition == until:
            return dossier
    raise AssertionError(f"{until} is not on the main path")


def open_tasks_of(dossier):
    return list(
        Task.objects.filter(
            process__dossierprocess__dossier=dossier,
            flow_task_type="HUMAN",
            status__in=["NEW", "ASSIGNED", "STARTED"],
        )
    )


def history(dossier) -> list[str]:
    """The names of the dossier's process tasks, oldest first."""
    return [
        t.flow_task.name for t in Task.objects.filter(process__dossierprocess__dossier=dossier).order_by("pk")
    ]
