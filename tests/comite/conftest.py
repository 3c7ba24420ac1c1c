"""Committee test data: a campaign, an admin, a chair and members, instructed dossiers.

Dossiers are put in ``instructed`` with a score and a proposed amount by a queryset update (test
setup only: the instruction stage has its own tests); everything after goes through the services.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest

from fonds import clock
from fonds.comite import convocation, sessions, votes
from fonds.comite import proxies as comite_proxies
from fonds.comite import sitting as comite_sitting
from fonds.comite.envelope import approve_or_waitlist
from fonds.comite.models import AgendaItem, Session
from fonds.dossiers.models import BudgetLine, Dossier
from fonds.dossiers.states import Status
from fonds.instruction.models import Assessment
from tests.factories import make_campaign, make_commune, make_dossier, make_user


def instructed_dossier(
    campaign,
    *,
    score: int | None = 70,
    population: int = 800,
    proposed: str = "5000.00",
    instructor=None,
    requested: str = "15000.00",
) -> Dossier:
    """An instructed dossier whose award may go up to the fund's cap: 15,000 € requested, 20,000 €
    of eligible costs, 10 travellers 8,500 km away (the formula gives more than the cap) — so that
    any amount of 1,000–15,000 € is within its award bounds unless ``requested`` is lower."""
    commune = make_commune(population=population)
    mayor = make_user("porteur", commune=commune, first_name="Maire", last_name=f"de {commune.name}")
    dossier = make_dossier(
        campaign=campaign,
        commune=commune,
        porteur=mayor,
        distance_km=8500,
        requested_amount=Decimal(requested),
    )
    BudgetLine.objects.filter(dossier=dossier, kind="expense", category="travel").update(
        amount=Decimal("16000")
    )
    Dossier.objects.filter(pk=dossier.pk).update(
        status=Status.INSTRUCTED,
        proposed_amount=Decimal(proposed),
        opinion="favourable",
        instructor=instructor,
    )
    if score is not None:
        Assessment.objects.create(
            dossier=dossier, score_total=score, scored_criteria=6, complete=True, suggestion="favourable"
        )
    dossier.refresh_from_db()
    return dossier


@pytest.fixture
def committee(db):
    campaign = make_campaign(envelope=Decimal("20000.00"))
    admin = make_user("admin", first_name="Alice", last_name="Admin")
    chair = make_user("comite", first_name="Claire", last_name="Présidente")
    others = [
        make_user("comite", first_name=name, last_name=f"Membre{i}")
        for i, name in enumerate(["Bruno", "Chloé", "David", "Emma"], start=1)
    ]
    return SimpleNamespace(
        campaign=campaign, admin=admin, chair=chair, members=[chair, *others], others=others
    )


def new_session(c, *, days: int = 10, **extra):
    """A planned session of the committee's campaign: it convenes the campaign's composition (by
    default every committee account: the chair and the four others)."""
    return sessions.create_session(
        c.campaign,
        by=c.admin,
        starts_at=clock.now() + dt.timedelta(days=days),
        chair=c.chair,
        place="Salle du conseil, Paris",
        **extra,
    )


def at_start(session):
    """Move the fund's clock to the session's scheduled start (a sitting happens on its date)."""
    if clock.now() < session.starts_at:
        clock.travel_to(session.starts_at)


def sitting(c, dossiers_or_count=1, *, presence: dict | None = None, proxies: dict | None = None, **kwargs):
    """A session with its agenda built, the ``proxies`` given (giver → holder), convened, sitting at
    its scheduled start (the clock moved there), attendance recorded (all present by default)."""
    if isinstance(dossiers_or_count, int):
        for i in range(dossiers_or_count):
            instructed_dossier(c.campaign, score=80 - i)
    session = new_session(c, **kwargs)
    convocation.build_agenda(session, by=c.admin)
    for giver, holder in (proxies or {}).items():
        comite_proxies.give_proxy(session, giver=giver, holder=holder)
    convocation.send_convocation(session, by=c.admin)
    at_start(session)
    comite_sitting.open_sitting(session, by=c.chair)
    comite_sitting.record_attendance(
        session, by=c.chair, presence=presence or {m: "present" for m in c.members}
    )
    session.refresh_from_db()
    return session


def vote_all(item, c, choices: dict):
    for member, choice in choices.items():
        votes.cast_vote(item, by=member, choice=choice)


def in_committee(campaign, **kwargs) -> Dossier:
    """An instructed dossier on the agenda of a sitting session, its vote closed and adopted (test
    setup: the sitting itself has its own tests); ``d.item`` is its agenda item."""
    d = instructed_dossier(campaign, **kwargs)
    Dossier.objects.filter(pk=d.pk).update(status=Status.IN_COMMITTEE)
    session = Session.objects.filter(campaign=campaign, status=Session.Status.SITTING).first()
    if session is None:
        chair = make_user("comite")
        session = Session.objects.create(
            campaign=campaign,
            starts_at=clock.now(),
            chair=chair,
            created_by=chair,
            status=Session.Status.SITTING,
            place="Salle",
        )
    rank = session.items.count() + 1
    item = AgendaItem.objects.create(
        session=session, dossier=d, rank=rank, vote_state=AgendaItem.VoteState.CLOSED, tally={"adopted": True}
    )
    d.refresh_from_db()
    d.item = item
    return d


def decide(d, member, amount) -> str:
    """The envelope's choice for ``d``'s closed vote, as ``fonds.comite.decisions.decide`` asks it."""
    return approve_or_waitlist(d, by=member, amount=Decimal(amount), data={"item": d.item.pk})
