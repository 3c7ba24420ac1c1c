"""What a demo dossier says: its project, participants, travel and budget, drawn from a seeded
random generator, coherent with the règlement (E4–E6) and with the grant formula.

``project(...)`` returns the draft's fields, budget lines and the amount ``compute_grant`` gives
on them (the instructor proposes exactly that); with ``target`` the project is drawn until the
formula allows that amount.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_DOWN, Decimal

from fonds.instruction.amount import compute_grant, great_circle_km
from fonds.referentiel.models import Zone

from .accounts import DemoError
from .words import FRANCE_CENTRE, REGION_CENTRES, THEMES, Partner, a, de, phrase

CENT = Decimal("0.01")


@dataclass
class Project:
    fields: dict
    lines: list[dict]
    grant: Decimal  # what the formula gives: the instructor's proposal


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT)


def round_down(value, step: int) -> Decimal:
    return (Decimal(value) / step).to_integral_value(rounding=ROUND_DOWN) * step


def distance_km(commune, partner: Partner) -> int:
    """One-way great-circle distance from the town hall (the region's centre when the referential
    has no coordinates) to the partner town; what the mayor declares."""
    if commune.latitude is not None and commune.longitude is not None:
        origin = (commune.latitude, commune.longitude)
    else:
        origin = (
            REGION_CENTRES.get(commune.region) or REGION_CENTRES.get(commune.departement) or FRANCE_CENTRE
        )
    return max(10, great_circle_km(origin[0], origin[1], partner.latitude, partner.longitude))


def _dates(rng, nights: int, *, first_start: dt.date, last_end: dt.date, ending: dt.date | None):
    if ending is not None:
        end = min(ending, last_end)
        start = end - dt.timedelta(days=nights)
        if start < first_start:
            raise DemoError(
                f"Démo : séjour de {nights} nuits impossible entre le {first_start} et le {ending}."
            )
        return start, end
    latest = (last_end - first_start).days - nights
    if latest < 0:
        raise DemoError(f"Démo : période d'activité trop courte ({first_start} – {last_end}).")
    start = first_start + dt.timedelta(days=rng.randint(min(10, latest), latest))
    return start, start + dt.timedelta(days=nights)


def _draw(rng, commune, jumelage, partner: Partner, params: dict, *, first_start, last_end, ending, target):
    distance = distance_km(commune, partner)
    overseas = commune.zone != Zone.METRO
    youth = rng.randint(8 if target else 6, 16)
    older = rng.random() < 0.2
    youth_ages = sorted(rng.randint(16, 25) if older else rng.randint(13, 18) for _ in range(youth))
    leaders = -(-youth // 10) + rng.randint(0, 1)
    leader_ages = sorted(rng.randint(23, 62) for _ in range(leaders))
    travellers = youth + leaders

    if overseas and distance < 600:
        mode, low_carbon, per_person = "mixed", False, 120 + 0.3 * 2 * distance
    elif distance < 1300 or (distance < 2200 and rng.random() < 0.3):
        mode, low_carbon = rng.choice(["train", "train", "coach"]), True
        per_person = min(450, max(80, 0.18 * 2 * distance))
    else:
        mode, low_carbon, per_person = "plane", False, min(1400, 180 + 0.07 * 2 * distance)
    per_person *= rng.uniform(0.9, 1.1)
    travel_days = 2 if distance >= 3000 else 1
    activity_days = rng.randint(5, 12)
    nights = activity_days + travel_days
    nights_hosted = rng.choice([0, nights // 2, nights - 1, nights - 2])
    start, end = _dates(rng, nights, first_start=first_start, last_end=last_end, ending=ending)

    def r10(value) -> Decimal:
        return money(round_down(Decimal(str(value)), 10))

    by = " en train" if mode == "train" else " en car" if mode == "coach" else ""
    expenses = [
        ("travel", "Transport aller-retour" + by, r10(per_person * travellers), True),
        (
            "accommodation",
            "Hébergement (auberge de jeunesse)",
            r10((nights - nights_hosted) * travellers * rng.randint(22, 32)),
            True,
        ),
        ("food", "Repas", r10(nights * travellers * rng.randint(12, 18)), True),
        ("activities", "Activités, visites et intervenants", r10(rng.randint(600, 2500)), True),
        ("other_expense", "Assurance et frais de dossier", r10(rng.randint(150, 400)), True),
    ]
    expenses = [e for e in expenses if e[2] > 0]
    if rng.random() < 0.3:
        expenses.append(("other_expense", "Cadeaux protocolaires", r10(rng.randint(100, 250)), False))
    total = sum(e[2] for e in expenses)
    eligible = sum(e[2] for e in expenses if e[3])
    if target is not None:
        requested = money(target)
    else:
        requested = round_down(eligible * Decimal(str(rng.uniform(0.45, 0.65))), 10)
        requested = money(
            max(min(requested, Decimal("15000"), round_down(eligible * Decimal("0.8"), 10)), Decimal("1000"))
        )
    grant = compute_grant(
        distance_km=distance,
        low_carbon=low_carbon,
        youth=youth,
        leaders=leaders,
        nights=nights,
        nights_hosted=nights_hosted,
        eligible_costs=eligible,
        requested=requested,
        params=params,
    )
    # the commune's own share: 15 % of the budget at least (10 % required, E6), to the 10 € above
    own_min = money((total * Decimal("0.015")).to_integral_value(rounding=ROUND_CEILING) * 10)
    if grant.grant != requested or requested < grant.floor or total - requested < own_min:
        return None  # the formula would not give what is asked, or the budget cannot balance: draw again
    available = total - requested - own_min
    families = min(money(youth * rng.choice([30, 40, 50, 60, 80])), available)
    other = min(money(rng.choice([0, 0, 500, 800, 1000, 1500])), available - families)
    own = total - requested - families - other
    incomes = [("own_share", f"Part de la commune {de(commune.name)}", own)]
    if families:
        incomes.append(("participants", "Participation des familles", families))
    if other:
        funder = "Conseil départemental" if commune.zone == Zone.METRO else "Collectivité territoriale"
        if partner.country == "DE" and rng.random() < 0.5:
            funder = "Office franco-allemand pour la Jeunesse (OFAJ)"
        incomes.append(("other_funder", funder, other))

    theme = THEMES[rng.randrange(len(THEMES))]
    words = phrase(
        theme,
        commune=commune.name,
        partner=partner.name,
        de_commune=de(commune.name),
        de_partner=de(partner.name),
        a_partner=a(partner.name),
        in_country=partner.in_country,
        lang=partner.language,
        youth=youth,
        days=activity_days,
    )
    fields = dict(
        jumelage=jumelage,
        title=words["title"],
        summary=words["summary"],
        objectives=words["objectives"],
        start_date=start,
        end_date=end,
        activity_days=activity_days,
        youth_ages=youth_ages,
        leader_ages=leader_ages,
        youth_fewer_opportunities=rng.randint(0, youth // 2),
        youth_first_travel=rng.randint(youth // 4, youth),
        travel_mode=mode,
        low_carbon=low_carbon,
        distance_km=distance,
        nights=nights,
        nights_hosted=nights_hosted,
        requested_amount=requested,
    )
    lines = [
        dict(kind="expense", category=cat, label=label, amount=amount, eligible=ok)
        for cat, label, amount, ok in expenses
    ]
    lines += [
        dict(kind="income", category=cat, label=label, amount=money(amount), eligible=True)
        for cat, label, amount in incomes
    ]
    return Project(fields, lines, grant.grant)


def project(
    rng: random.Random,
    commune,
    jumelage,
    partner: Partner,
    params: dict,
    *,
    first_start: dt.date,
    last_end: dt.date,
    ending: dt.date | None = None,
    target: Decimal | None = None,
) -> Project:
    """A project of ``commune`` with ``partner`` between ``first_start`` and ``last_end`` (ending on
    ``ending`` when given), asking for ``target`` when given, else for about half its eligible costs."""
    for _ in range(400):
        drawn = _draw(
            rng,
            commune,
            jumelage,
            partner,
            params,
            first_start=first_start,
            last_end=last_end,
            ending=ending,
            target=target,
        )
        if drawn is not None:
            return drawn
    raise DemoError(
        f"Démo : aucun projet de {commune.name} avec {partner.name} ne permet une aide de {target} €."
    )
