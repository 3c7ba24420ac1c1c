"""Take dossiers through a real committee sitting without its pages — for seed data and for the
tests of later stages (a decision exists only as the outcome of a vote in a sitting):
``Committee(admin=admin, chair=chair).decide(dossier, "approve")`` convenes the campaign's whole
composition ``convocation_min_days`` ahead, moves ``fonds.clock`` to the sitting, records
everyone present, votes and decides through the comité's services (audited as a real sitting).
``members`` is ignored (kept for existing callers).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from fonds import clock
from fonds.dossiers.services import perform
from fonds.dossiers.states import Status

from . import convocation, dates, decisions, sessions
from . import sitting as comite_sitting
from . import votes as comite_votes
from .agenda import _pending_item
from .models import AgendaItem, Session

CHOICES = {"approve": "pour", "reject": "contre", "waitlist": "pour"}


@dataclass
class Committee:
    admin: object
    chair: object
    members: list = field(default_factory=list)
    place: str = "Salle du conseil, Paris"

    def session(self, campaign, *, days: int | None = None) -> Session:
        """A planned session of ``campaign``, far enough ahead to be convened."""
        days = dates.min_days(campaign) + 1 if days is None else days
        return sessions.create_session(
            campaign,
            by=self.admin,
            starts_at=clock.now() + dt.timedelta(days=days),
            chair=self.chair,
            place=self.place,
        )

    def place_on_agenda(self, dossiers, session: Session) -> None:
        for dossier in dossiers:
            perform(dossier, "schedule", by=self.admin, data={"session": session.pk})

    def sit(self, session: Session) -> Session:
        """Convene, move the clock to the start, open the sitting, everyone present."""
        session = Session.objects.get(pk=session.pk)
        if session.status == Session.Status.PLANNED:
            convocation.send_convocation(session, by=self.admin)
        if clock.now() < session.starts_at:
            clock.travel_to(session.starts_at + dt.timedelta(minutes=1))
        comite_sitting.open_sitting(session, by=self.chair)
        comite_sitting.record_attendance(
            session, by=self.chair, presence={m: "present" for m in session.members.all()}
        )
        return Session.objects.get(pk=session.pk)

    def vote(self, item: AgendaItem, outcome: str, *, amount=None, motivation: str = "") -> AgendaItem:
        """Open the vote on ``item``, every member votes for ``outcome``, close it, decide."""
        if outcome != "defer":
            comite_votes.open_vote(
                item, by=self.chair, amount=amount, motivation=motivation if amount is not None else ""
            )
            for member in item.session.members.all():
                comite_votes.cast_vote(item, by=member, choice=CHOICES[outcome])
            comite_votes.close_vote(item, by=self.chair)
        decided = "approve" if outcome == "waitlist" else outcome
        return decisions.decide(
            AgendaItem.objects.get(pk=item.pk), by=self.chair, outcome=decided, motivation=motivation
        )

    def decide(
        self, dossier, outcome: str = "approve", *, amount=None, motivation: str = "", close: bool = True
    ) -> AgendaItem:
        """``dossier`` (instructed, or in committee on a session not yet sitting) decided in a
        sitting: approve (waitlisted when the envelope is short), reject (``motivation``), defer."""
        dossier.refresh_from_db()
        if dossier.status == Status.INSTRUCTED:
            session = self.session(dossier.campaign)
            self.place_on_agenda([dossier], session)
        item = _pending_item(dossier.pk)
        if item.session.status != Session.Status.SITTING:
            self.sit(item.session)
        item = AgendaItem.objects.select_related("session").get(pk=item.pk)
        if outcome == "reject" and not motivation:
            motivation = "Le projet ne répond pas aux priorités du fonds."
        decided = self.vote(item, outcome, amount=amount, motivation=motivation)
        if close and not item.session.items.filter(outcome="").exists():
            decisions.close_session(item.session, by=self.chair)
        dossier.refresh_from_db()
        return decided
