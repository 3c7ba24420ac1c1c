"""The past pilot campaign of the demonstration (its committee about fifteen months ago): trips have
happened, so every step after the committee is real.

Approvals until the envelope is spent, a waiting list promoted by a renunciation and a lapse,
advances and balances paid in batches, final reports, a recovery made final by the system and
another still contradictory. ``porteur@demo.fjj.fr``'s commune has the first approval.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from fonds.dossiers.states import Status
from fonds.payments.models import OrderKind

#: the approvals (story, amount asked and granted), in the committee's order, then the waiting list:
#: the envelope holds the approvals and 900 € more, so that the renunciation (6,500 €) promotes one of
#: the first two waitlisted dossiers and the lapse (5,600 €) the other — whichever ranks first — while
#: the last one (12,000 €) never fits (tests/demo/test_seed_demo.py checks the arithmetic)
APPROVED = [
    ("solde", 7000),
    ("reversement_solde", 6000),
    ("reversement_en_cours", 5000),
    ("renonce", 6500),
    ("caduc", 5600),
]
WAITLISTED = [("promu_solde", 7000), ("promu_rapport", 6000), ("liste", 12000)]
ENVELOPE = Decimal(sum(amount for _, amount in APPROVED) + 900)
#: communes besides the main one (which has "solde"): the other approvals, the waiting list, a refusal
COMMUNES = len(APPROVED) - 1 + len(WAITLISTED) + 1


def schedule(h):
    """Schedule the pilot campaign's story on ``h`` (a ``History``); returns the campaign."""
    sitting = h.weekday(-440)

    def s(offset: int, hour: int = 10, minute: int = 0) -> dt.datetime:  # days from the sitting
        return h.day(offset, hour, minute, base=sitting)

    opens = s(-125, 9)
    campaign = h.campaign(
        f"Appel à projets pilote « Jumelages jeunesse » {opens.year} — démonstration",
        opens=opens,
        closes=s(-35, 12),
        committee=[sitting],
        envelope=ENVELOPE,
        created=s(-140),
    )
    first, last = campaign.activity_start, campaign.activity_end
    ends = {  # the trips' last days: each report, balance and recovery comes after its trip
        "solde": sitting + dt.timedelta(days=140),
        "promu_solde": sitting + dt.timedelta(days=190),
        "reversement_solde": sitting + dt.timedelta(days=240),
        "reversement_en_cours": h.today - dt.timedelta(days=95),
        "promu_rapport": last - dt.timedelta(days=2),
    }
    targets = dict(APPROVED + WAITLISTED)
    cases = {
        story: h.case(
            story,
            campaign,
            h.pilot_communes[story],
            first_start=first + dt.timedelta(days=20),
            last_end=last,
            ending=ends.get(story),
            target=targets.get(story),
            far=story == "liste",
        )
        for story in [*targets, "refuse"]
    }
    ordered = list(cases.values())

    # deposits, instruction, the sitting
    for i, case in enumerate(ordered):
        h.deposit(case, s(-110 + 4 * i), s(-108 + 4 * i, 15))
        h.act(s(-30, 9, 20 * i), "instruction", "start_instruction", case)
        h.act(s(-20, 9, 20 * i), "fin d'instruction", "complete", case, favourable=case.story != "refuse")
    approved = [cases[name] for name, _ in APPROVED]
    waitlisted = [cases[name] for name, _ in WAITLISTED]

    def sit():
        h.acts.sit(
            h.sessions["pilote"], {c.pk: "reject" if c.story == "refuse" else "approve" for c in ordered}
        )
        h.expect(approved, Status.APPROVED, "la séance du comité pilote")
        h.expect(waitlisted, Status.WAITLISTED, "la séance du comité pilote")

    h.new_session(s(-12), "pilote", campaign, 12, ordered)
    h.convene(s(-9, 9, 30), "pilote")
    h.at(s(0), "séance du comité pilote", sit)

    # conventions, advances, a renunciation and a lapse: the waiting list is promoted
    signed = [cases["solde"], cases["reversement_solde"], cases["reversement_en_cours"]]
    for i, case in enumerate(signed):
        h.act(s(4 + i, 11), "convention acceptée", "accept", case)
        h.act(s(7, 9, 10 * i), "coordonnées bancaires certifiées", "certify", case)
    h.batch(s(8), "avances de la campagne pilote", signed, OrderKind.ADVANCE)
    h.act_then(s(10, 14), "renonciation", "renounce", cases["renonce"], Status.RENOUNCED)
    h.deadline(s(30, 12), "échéance des conventions (caducité)")
    promoted = [cases["promu_solde"], cases["promu_rapport"]]

    def promotions():
        h.expect([cases["caduc"]], Status.LAPSED, "l'échéance de sa convention")
        h.expect(promoted, Status.APPROVED, "les promotions de la liste complémentaire")
        h.expect([cases["liste"]], Status.WAITLISTED, "les promotions de la liste complémentaire")

    h.at(s(30, 13), "contrôle des promotions", promotions)
    for i, case in enumerate(promoted):
        h.act(s(33 + i, 11), "convention acceptée", "accept", case)
        h.act(s(35, 9, 10 * i), "coordonnées bancaires certifiées", "certify", case)
    h.batch(s(36), "avances des dossiers promus", promoted, OrderKind.ADVANCE)

    # after the trips: reports, balances, recoveries
    for story in ("solde", "promu_solde"):  # the trip as planned: a positive balance, paid
        case, end = cases[story], ends[story]
        h.act(h.day(12, 16, base=end), "rapport final", "file_report", case)
        h.act(h.day(20, base=end), "rapport final validé", "accept_report", case)
        h.batch(h.day(22, base=end), f"solde ({story})", [case], OrderKind.BALANCE)
    case, end = cases["reversement_solde"], ends["reversement_solde"]  # a smaller trip: a recovery
    h.act(h.day(10, 16, base=end), "rapport final", "file_report", case, reduced=True)
    h.act_then(h.day(18, base=end), "rapport final validé", "accept_report", case, Status.RECOVERY_PENDING)
    h.deadline(h.day(33, 12, base=end), "fin de la procédure contradictoire (15 jours)")
    h.act_then(h.day(45, base=end), "reversement reçu", "recovery_received", case, Status.CLOSED)
    case = cases["reversement_en_cours"]
    h.act(h.day(-40, 16), "rapport final", "file_report", case, reduced=True)
    h.act_then(h.day(-3, 10), "rapport final validé", "accept_report", case, Status.RECOVERY_PENDING)
    h.act(h.day(-20, 16), "rapport final", "file_report", cases["promu_rapport"])
    return campaign
