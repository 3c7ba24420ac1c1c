"""The demonstration's history: a past pilot campaign (``pilot``) and the open one (``open_call``),
each dossier taken to its status in chronological order on the clock (``fonds.demo.timeline``).

``History`` draws the communes, builds each dossier's case and gives both stories what they share:
dates, scheduling, accounts, batches, the beat, and the checks that the plan holds (a status not
reached stops the seeding with a French message).
"""

from __future__ import annotations

import datetime as dt
import functools
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

from fonds import clock
from fonds.audit import chain as audit
from fonds.dossiers.states import Status
from fonds.eligibilite.period import add_months
from fonds.referentiel.models import Campaign
from fonds.referentiel.rules import default_rules

from . import open_call, pilot
from .accounts import ACTOR_LABEL, Accounts, DemoError
from .acts import Acts, Case
from .content import project
from .places import Places, rank_key
from .timeline import Timeline

PARIS = ZoneInfo("Europe/Paris")


class History:
    def __init__(self, *, rng: random.Random, accounts: Accounts, origin: dt.datetime):
        self.rng = rng
        self.accounts = accounts
        self.origin = origin  # the real "now" when the seeding started: nothing happens after it
        self.today = clock.today()
        self.params = default_rules()
        self.places = Places(rng, self.params)
        self.timeline = Timeline(until=origin)
        self.cases: list[Case] = []
        self.sessions: dict = {}
        self.acts: Acts | None = None  # once the accounts exist

    # ---- dates ------------------------------------------------------------------------------------

    def day(
        self, offset: int, hour: int = 10, minute: int = 0, *, base: dt.date | None = None
    ) -> dt.datetime:
        """``offset`` days from ``base`` (today) at ``hour`` h and ``minute`` minutes (may exceed 59),
        Paris time."""
        day = (base or self.today) + dt.timedelta(days=offset)
        return dt.datetime.combine(day, dt.time(hour), tzinfo=PARIS) + dt.timedelta(minutes=minute)

    def weekday(self, offset: int) -> dt.date:
        """``offset`` days from today, moved back to the Friday when it falls on a weekend."""
        day = self.today + dt.timedelta(days=offset)
        return day - dt.timedelta(days=max(0, day.weekday() - 4))

    # ---- scheduling -------------------------------------------------------------------------------

    def at(self, moment: dt.datetime, label: str, action, *args, **kwargs) -> None:
        """``action(*args, **kwargs)`` at ``moment``."""
        self.timeline.add(moment, label, functools.partial(action, *args, **kwargs))

    def act(self, moment: dt.datetime, label: str, name: str, case: Case, **kwargs) -> None:
        """``Acts.<name>(case)`` at ``moment`` (the label names the case's story)."""
        self.at(moment, f"{label} ({case.story})", self._act, name, case, **kwargs)

    def _act(self, name: str, *args, **kwargs) -> None:
        getattr(self.acts, name)(*args, **kwargs)

    def act_then(self, moment: dt.datetime, label: str, name: str, case: Case, status: str, **kwargs) -> None:
        """``Acts.<name>(case)`` at ``moment``, after which the dossier must be in ``status``."""

        def act_and_check():
            self._act(name, case, **kwargs)
            self.expect([case], status, label)

        self.at(moment, f"{label} ({case.story})", act_and_check)

    def expect(self, cases: list[Case], status: str, when: str) -> None:
        """The plan holds: each of ``cases`` is in ``status`` (else the seeding stops, saying why)."""
        for case in cases:
            if self.acts.refresh(case).status != status:
                raise DemoError(
                    f"Démo : après « {when} », le dossier {case.dossier.reference} ({case.story}) est "
                    f"« {case.dossier.get_status_display()} » au lieu de « {Status(status).label} »."
                )

    def deposit(
        self, case: Case, draft: dt.datetime, submit: dt.datetime | None, *, pieces: str = "all"
    ) -> None:
        """The mayor's draft (with ``pieces``, see ``Acts.draft``), then its submission if any."""
        self.act(draft, "brouillon", "draft", case, pieces=pieces)
        if submit is not None:
            self.act(submit, "dépôt", "submit", case)

    def new_session(self, moment: dt.datetime, key: str, campaign, days: int, cases: list[Case]) -> None:
        """At ``moment``, a session ``days`` ahead with ``cases`` on its agenda (``self.sessions[key]``)."""

        def create():
            self.sessions[key] = self.acts.new_session(campaign, days=days, cases=cases)

        self.at(moment, f"séance programmée ({key})", create)

    def convene(self, moment: dt.datetime, key: str) -> None:
        self.at(moment, f"convocation ({key})", lambda: self.acts.convene(self.sessions[key]))

    def batch(self, moment: dt.datetime, label: str, cases: list[Case], kind: str) -> None:
        """Finance builds, exports and sends a batch at ``moment``; records its execution on its
        requested execution date (never before: the bank has not executed it)."""

        def build():
            batch = self.acts.build_batch(cases, kind)
            executed = dt.datetime.combine(batch.execution_date, dt.time(11, 0), tzinfo=PARIS)
            self.at(executed, f"exécution du lot ({label})", self.acts.record_execution, batch)

        self.at(moment, f"lot de virements ({label})", build)

    def deadline(self, moment: dt.datetime, label: str) -> None:
        """A deadline has fallen due: the beat of ``moment`` does what the règlement says."""
        self.at(moment, label, self.timeline.beat, force=True)

    # ---- the plan ---------------------------------------------------------------------------------

    def plan(self) -> None:
        """Draw the communes, build both campaigns' cases and schedule their stories."""
        needed = 1 + pilot.COMMUNES + open_call.COMMUNES  # the main commune is in both campaigns
        main, metro, overseas = self.places.draw(needed)
        self.main = main
        self.pilot_communes, rest = self._pilot_communes(main, metro)
        self.open_communes = self._open_communes(main, rest, overseas)
        self.at(self.day(-600, 9), "comptes de démonstration", self._create_accounts)
        self.pilot = pilot.schedule(self)
        self.open = open_call.schedule(self)

    def _pilot_communes(self, main, metro):
        """The pilot's communes by story: the committee approves in rank order until the envelope is
        spent, so the communes of the approvals must rank before those of the waiting list."""
        approved, waitlisted = pilot.APPROVED, pilot.WAITLISTED
        for _ in range(50):
            drawn = self.rng.sample(metro, pilot.COMMUNES)
            ranked = sorted(
                [main, *drawn[1 : len(approved) + len(waitlisted)]], key=lambda c: rank_key(c, self.params)
            )
            if main in ranked[: len(approved)]:
                ranked.remove(main)
                stories = [name for name, _ in approved + waitlisted]
                chosen = {stories[0]: main, **dict(zip(stories[1:], ranked)), "refuse": drawn[0]}
                return chosen, [c for c in metro if c not in drawn]
        raise DemoError("Démo : le référentiel ne permet pas de classer les communes de la campagne pilote.")

    def _open_communes(self, main, rest, overseas) -> list:
        """``[(story, commune)]`` of the open campaign: the main commune's withdrawn dossier first;
        the overseas communes take the stories of ``open_call.OVERSEAS_STORIES`` first."""
        stories = open_call.STORIES
        preferred = [stories.index(s) for s in open_call.OVERSEAS_STORIES]
        order = preferred + [i for i in range(len(stories)) if i not in preferred]
        far = dict(zip(order, overseas))
        metro = iter(rest)
        others = [(story, far[i] if i in far else next(metro)) for i, story in enumerate(stories)]
        return [(open_call.MAIN_STORY, main), *others]

    def case(
        self, story, campaign, commune, *, first_start, last_end, ending=None, target=None, far=False
    ) -> Case:
        """A dossier-to-be: the commune, its partner abroad and jumelage, its project (see ``content``)."""
        partner = self.places.partner_for(commune, far=far)
        jumelage = self.places.jumelage(commune, partner)
        case = Case(story, campaign, commune, None, jumelage, partner)
        target = None if target is None else Decimal(target)
        case.project = project(
            self.rng,
            commune,
            jumelage,
            partner,
            self.params,
            first_start=first_start,
            last_end=last_end,
            ending=ending,
            target=target,
        )
        self.cases.append(case)
        return case

    def campaign(
        self,
        name: str,
        *,
        opens: dt.datetime,
        closes: dt.datetime,
        committee: list[dt.date],
        envelope: Decimal,
        created: dt.datetime,
    ) -> Campaign:
        """A campaign created (audited) at ``created``; its activity period: the months after its first
        committee date (``deadlines.activity_period_months``)."""
        first = min(committee)
        months = int(self.params["deadlines"]["activity_period_months"])
        campaign = Campaign(
            name=name,
            year=opens.year,
            opens_at=opens,
            closes_at=closes,
            activity_start=first + dt.timedelta(days=1),
            activity_end=add_months(first, months),
            envelope=envelope,
            committee_dates=[d.isoformat() for d in committee],
        )
        self.at(created, f"campagne « {name} »", self._create_campaign, campaign)
        return campaign

    # ---- events shared by both campaigns ------------------------------------------------------------

    def _create_accounts(self) -> None:
        self.acts = Acts(self.rng, self.accounts.create_staff())
        for case in self.cases:
            case.porteur = self.accounts.porteur(case.commune, main=case.commune.pk == self.main.pk)

    def _create_campaign(self, campaign: Campaign) -> None:
        campaign.full_clean()
        campaign.save()  # its first rule set: the règlement's defaults
        payload = {
            "name": campaign.name,
            "opens_at": campaign.opens_at.isoformat(),
            "closes_at": campaign.closes_at.isoformat(),
            "activity_start": campaign.activity_start.isoformat(),
            "activity_end": campaign.activity_end.isoformat(),
            "envelope": format(campaign.envelope, "f"),
            "committee_dates": campaign.committee_dates,
            "rules_version": campaign.rules.version,
        }
        audit.append_many(
            [
                {
                    "action": "referentiel.campaign_created",
                    "actor_label": ACTOR_LABEL,
                    "obj": campaign,
                    "payload": payload,
                }
            ]
        )

    def story(
        self,
        case: Case,
        *,
        draft: int,
        submit: int | None = None,
        start: int | None = None,
        complete: int | None = None,
        reopen: int | None = None,
        corrections: int | None = None,
        answer: int | None = None,
        ineligible: int | None = None,
        withdraw: int | None = None,
    ) -> None:
        """A dossier before the committee: each step on its day (offsets from today, usual hours)."""
        d = self.day
        self.deposit(case, d(draft), None if submit is None else d(submit, 15))
        steps = [
            (start, 9, "start_instruction", "instruction"),
            (corrections, 10, "request_corrections", "corrections demandées"),
            (answer, 15, "answer_corrections", "réponse aux corrections"),
            (complete, 10, "complete", "fin d'instruction"),
            (reopen, 11, "reopen", "réouverture de l'instruction"),
            (ineligible, 11, "declare_ineligible", "irrecevabilité"),
            (withdraw, 14, "withdraw", "retrait"),
        ]
        for offset, hour, name, label in steps:
            if offset is not None:
                self.act(d(offset, hour), label, name, case)
