"""Build test and bench data for the comité. ``Committee(admin=admin, chair=chair).decide(dossier,
"approve")`` takes a dossier through a real sitting without its pages (seed data, tests of later
stages): it convenes the campaign's composition ``convocation_min_days`` ahead, moves
``fonds.clock`` to the sitting, records everyone present, votes and decides through the comité's
services (``members`` is ignored, kept for existing callers). ``instructed_in_bulk`` seeds many
instructed dossiers at once for the large-session tests and ``bench/bench_comite.py``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import Group

from fonds import clock
from fonds.accounts.models import User
from fonds.dossiers.models import Dossier
from fonds.dossiers.services import perform
from fonds.dossiers.states import Status
from fonds.instruction.models import Assessment
from fonds.referentiel.models import Commune

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


def instructed_in_bulk(
    campaign,
    n: int,
    *,
    first_code: int,
    departement: str,
    region: str,
    email_domain: str,
    reference_prefix: str,
    **fields,
) -> list[Dossier]:
    """``n`` instructed dossiers of ``campaign``, one new commune and one mayor each, 5,000 €
    proposed and a complete assessment (score 60–99), written in bulk without audit events: test
    and bench data only (the instruction stage has its own tests). ``fields`` go on every dossier."""
    now = clock.now()
    communes = Commune.objects.bulk_create(
        [
            Commune(
                code=f"{first_code + i:05d}",
                name=f"Commune {i}",
                departement=departement,
                region=region,
                population=200 + (i * 37) % 3300,
                siren=f"2{first_code + i:05d}000",
            )
            for i in range(n)
        ]
    )
    mayors = User.objects.bulk_create(
        [
            User(
                email=f"maire{i}@{email_domain}",
                username=f"maire{i}@{email_domain}",
                first_name="Maire",
                last_name=f"de Commune {i}",
                commune=c,
                password="!",
            )
            for i, c in enumerate(communes)
        ]
    )
    Group.objects.get_or_create(name="porteur")[0].user_set.add(*mayors)
    dossiers = Dossier.objects.bulk_create(
        [
            Dossier(
                reference=f"{reference_prefix}-{i:06d}",
                campaign=campaign,
                commune=c,
                title=f"Échange de jeunes n° {i}",
                created_by=m,
                created_at=now,
                **fields,
            )
            for i, (c, m) in enumerate(zip(communes, mayors))
        ]
    )
    Dossier.objects.filter(pk__in=[d.pk for d in dossiers]).update(
        status=Status.INSTRUCTED, proposed_amount=Decimal("5000.00"), opinion="favourable"
    )
    Assessment.objects.bulk_create(
        [
            Assessment(
                dossier=d,
                score_total=60 + (i * 7) % 40,
                scored_criteria=6,
                complete=True,
                suggestion="favourable",
            )
            for i, d in enumerate(dossiers)
        ]
    )
    return dossiers
