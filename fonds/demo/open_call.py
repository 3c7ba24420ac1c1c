"""The open campaign of the demonstration (submissions open): everything a newcomer can act on.

A first sitting three weeks ago (approvals, conventions, advances), a session convened a week ago
whose start time has just passed (« Ouvrir la séance » works at once for president@demo.fjj.fr),
and every step before the committee. ``porteur@demo.fjj.fr``'s commune has only a withdrawn
dossier here: it may start a new one (E7).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from fonds.dossiers.states import Status
from fonds.payments.models import OrderKind

from .content import money, round_down

NAME = "Appel à projets « Jumelages jeunesse » — démonstration"
ENVELOPE = Decimal("400000.00")  # enough for every approval of the convened session
MAIN_STORY = "retire"  # porteur@demo.fjj.fr's dossier: withdrawn, it does not block a new one (E7)
SITTING = ["accorde", "amende", "convention_prete", "avance", "ajourne", "refuse"]
NEXT_SESSION = ["en_comite", "en_comite", "en_comite"]
BEFORE_COMMITTEE = [
    "instruit",
    "instruction_rouverte",
    "en_instruction",
    "corrige",
    "corrections",
    "sans_suite",
    "irrecevable",
    "irrecevable_instruit",
    "retire_brouillon",
    "depose",
    "depose",
    "brouillon",
    "brouillon_incomplet",
    "brouillon_commence",
]
STORIES = SITTING + NEXT_SESSION + BEFORE_COMMITTEE  # one commune each, besides the main one
COMMUNES = len(STORIES)
#: the stories overseas communes take, in this order
OVERSEAS_STORIES = ["en_comite", "accorde", "avance", "corrections"]
AMENDED = Decimal("6000")  # asked by "amende"; the committee grants 90 % of it


def next_session_start(origin: dt.datetime) -> dt.datetime:
    """The convened session starts 10 to 15 minutes before the seeding, on a round 5 minutes."""
    start = timezone.localtime(origin) - dt.timedelta(minutes=10)
    return start.replace(minute=start.minute - start.minute % 5, second=0, microsecond=0)


def schedule(h):
    """Schedule the open campaign's story on ``h`` (a ``History``); returns the campaign."""
    d = h.day
    sitting = h.weekday(-21)
    start = next_session_start(h.origin)
    campaign = h.campaign(
        NAME,
        opens=d(-75, 9),
        closes=d(45, 12),
        envelope=ENVELOPE,
        created=d(-80),
        committee=[sitting, start.date(), h.today + dt.timedelta(days=70)],
    )
    # the trips are ahead, 30 days at least after any deposit (E5)
    first = max(campaign.activity_start, h.today + dt.timedelta(days=35))
    last = campaign.activity_end - dt.timedelta(days=1)
    cases: dict[str, list] = {}
    for story, commune in h.open_communes:
        case = h.case(
            story,
            campaign,
            commune,
            first_start=first,
            last_end=last,
            target=AMENDED if story == "amende" else None,
        )
        cases.setdefault(story, []).append(case)
    one = {story: group[0] for story, group in cases.items()}

    def s1(offset: int, hour: int = 10, minute: int = 0) -> dt.datetime:  # days from the first sitting
        return h.day(offset, hour, minute, base=sitting)

    # the first sitting, three weeks ago
    group = [one[story] for story in SITTING]
    for i, case in enumerate(group):
        h.deposit(case, d(-72 + i), d(-70 + i, 15))
        h.act(d(-42, 9, 20 * i), "instruction", "start_instruction", case)
        h.act(d(-36, 9, 20 * i), "fin d'instruction", "complete", case, favourable=case.story != "refuse")
    amended = money(round_down(AMENDED * Decimal("0.9"), 100))

    def first_sitting():
        outcomes = {c.pk: "approve" for c in group}
        outcomes.update(
            {one["amende"].pk: ("approve", amended), one["ajourne"].pk: "defer", one["refuse"].pk: "reject"}
        )
        h.acts.sit(h.sessions["premiere"], outcomes)
        h.expect(
            [one[s] for s in ("accorde", "amende", "convention_prete", "avance")],
            Status.APPROVED,
            "la première séance",
        )

    h.new_session(s1(-9), "premiere", campaign, 9, group)
    h.convene(s1(-8, 9, 30), "premiere")
    h.at(s1(0), "première séance du comité", first_sitting)
    h.act(s1(2, 11), "convention acceptée", "accept", one["avance"])
    h.act(s1(3, 9), "coordonnées bancaires certifiées", "certify", one["avance"])
    h.batch(s1(4), "avance", [one["avance"]], OrderKind.ADVANCE)
    h.act(s1(6, 11), "convention acceptée", "accept", one["amende"])  # bank details not certified yet
    h.act(d(-9, 11), "convention acceptée", "accept", one["convention_prete"])
    h.act(d(-8, 9), "coordonnées bancaires certifiées", "certify", one["convention_prete"])  # awaits a batch

    # the session convened a week ago, starting now, not yet sitting
    waiting = cases["en_comite"]
    for i, case in enumerate(waiting):
        h.deposit(case, d(-66 + i), d(-64 + i, 15))
        h.act(d(-30, 9, 20 * i), "instruction", "start_instruction", case)
        h.act(d(-12 + i, 9), "fin d'instruction", "complete", case)
    h.new_session(start - dt.timedelta(days=8), "prochaine", campaign, 8, [one["ajourne"], *waiting])
    h.convene(start - dt.timedelta(days=7), "prochaine")

    # before the committee
    h.story(one["instruit"], draft=-50, submit=-48, start=-20, complete=-4)
    h.story(one["instruction_rouverte"], draft=-47, submit=-45, start=-35, complete=-25, reopen=-10)
    h.story(one["en_instruction"], draft=-24, submit=-22, start=-6)
    h.story(one["corrige"], draft=-62, submit=-60, start=-50, corrections=-45, answer=-38)
    h.story(one["corrections"], draft=-33, submit=-30, start=-12, corrections=-5)
    h.story(one["sans_suite"], draft=-58, submit=-56, start=-44, corrections=-40)
    h.deadline(d(-25, 12), "délai de corrections expiré (15 jours)")
    h.story(one["irrecevable"], draft=-37, submit=-35, ineligible=-28)
    h.story(one["irrecevable_instruit"], draft=-54, submit=-52, start=-42, ineligible=-39)
    h.story(one[MAIN_STORY], draft=-57, submit=-55, start=-50, withdraw=-45)
    h.story(one["retire_brouillon"], draft=-43, withdraw=-41)
    for i, case in enumerate(cases["depose"]):
        h.story(case, draft=-5 + i, submit=-3 + i)
    h.deposit(one["brouillon"], d(-15), None)
    h.deposit(one["brouillon_incomplet"], d(-6, 14), None, pieces="some")
    h.deposit(one["brouillon_commence"], d(-1, 17), None, pieces="none")
    return campaign
