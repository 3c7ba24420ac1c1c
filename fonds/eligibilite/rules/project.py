"""E3 (required documents), E4 (participants and leaders) and E5 (duration and dates) of the
project."""

from __future__ import annotations

import datetime as dt

from fonds.dossiers.models import Document
from fonds.formats import short_date

from ..period import FROM_COMMITTEE, ActivityPeriod, activity_period
from .base import (
    FAIL,
    PASS,
    Outcome,
    _as_int,
    _outcome,
    _params,
    _related,
    local_date,
    rule,
    submission_moment,
)

# ---- E3 — required documents --------------------------------------------------------------------


@rule("E3")
def e3_documents(dossier, ruleset, *, at, context=None) -> Outcome:
    """E3: one current document of each kind listed in ``required_documents``.

    A document replaced by a newer upload (``replaced_by`` set) is ignored, so a replaced piece
    never counts twice; any current (not replaced) document of the kind is enough.
    """
    required = list(_params(ruleset)["required_documents"])
    current: dict[str, int] = {}
    for doc in _related(dossier, "documents"):
        if doc.replaced_by_id is None:
            current[doc.kind] = current.get(doc.kind, 0) + 1
    missing = [kind for kind in required if not current.get(kind)]
    labels = dict(Document.Kind.choices)
    data = {
        "required": required,
        "present": {k: current[k] for k in required if current.get(k)},
        "missing": missing,
    }
    if missing:
        names = ", ".join(f"« {labels.get(k, k)} »" for k in missing)
        return Outcome(
            "E3",
            FAIL,
            f"Pièce(s) manquante(s) : {names}.",
            f"Ajoutez dans la rubrique « Pièces justificatives » : {names} (PDF).",
            data,
        )
    return Outcome("E3", PASS, "Toutes les pièces obligatoires sont jointes.", "", data)


# ---- E4 — participants and leaders --------------------------------------------------------------


@rule("E4")
def e4_participants(dossier, ruleset, *, at, context=None) -> Outcome:
    """E4: at least ``min_youth`` young people, each aged ``youth_min_age``..``youth_max_age``
    (inclusive, age on the first day as declared), every leader aged ≥ ``leader_min_age``, and at
    least ceil(young people / ``youth_per_leader``) leaders (10 young → 1, 11 → 2).

    An age that is not a whole number is reported as invalid.
    """
    p = _params(ruleset)
    min_youth, lo, hi = int(p["min_youth"]), int(p["youth_min_age"]), int(p["youth_max_age"])
    leader_min, per_leader = int(p["leader_min_age"]), int(p["youth_per_leader"])
    youth = [_as_int(a) for a in (dossier.youth_ages or [])]
    leaders = [_as_int(a) for a in (dossier.leader_ages or [])]
    youth_count, leader_count = len(youth), len(leaders)
    required_leaders = -(-youth_count // per_leader) if per_leader > 0 else 0
    out_of_range = sorted(a for a in youth if a is not None and not lo <= a <= hi)
    young_leaders = sorted(a for a in leaders if a is not None and a < leader_min)
    invalid = sum(1 for a in youth + leaders if a is None)
    data = {
        "youth_count": youth_count,
        "leader_count": leader_count,
        "min_youth": min_youth,
        "youth_min_age": lo,
        "youth_max_age": hi,
        "leader_min_age": leader_min,
        "youth_per_leader": per_leader,
        "required_leaders": required_leaders,
        "youth_out_of_range": out_of_range,
        "leaders_under_age": young_leaders,
        "invalid_ages": invalid,
    }
    problems = []
    if youth_count < min_youth:
        problems.append(
            (
                f"{youth_count} jeune(s) participant(s) déclaré(s) ; il en faut au moins {min_youth}.",
                f"Déclarez au moins {min_youth} jeunes de la commune participant au projet.",
            )
        )
    if out_of_range:
        problems.append(
            (
                f"Âge(s) hors limites : {', '.join(map(str, out_of_range))} ans ; les jeunes doivent avoir "
                f"entre {lo} et {hi} ans le premier jour.",
                f"Vérifiez les âges : seuls les jeunes de {lo} à {hi} ans au premier jour du projet peuvent "
                "participer.",
            )
        )
    if young_leaders:
        problems.append(
            (
                f"Accompagnateur(s) trop jeune(s) : {', '.join(map(str, young_leaders))} ans ; il faut avoir "
                f"au moins {leader_min} ans.",
                f"Remplacez ces accompagnateurs par des adultes d'au moins {leader_min} ans.",
            )
        )
    if leader_count < required_leaders:
        problems.append(
            (
                f"{leader_count} accompagnateur(s) pour {youth_count} jeunes ; il en faut au moins "
                f"{required_leaders} (1 pour {per_leader} jeunes).",
                f"Ajoutez {required_leaders - leader_count} accompagnateur(s) adulte(s).",
            )
        )
    if invalid:
        problems.append(
            (
                f"{invalid} âge(s) ne sont pas des nombres entiers.",
                "Indiquez chaque âge en années, par un nombre entier.",
            )
        )
    return _outcome(
        "E4",
        problems,
        data,
        f"{youth_count} jeunes de {lo} à {hi} ans et {leader_count} accompagnateur(s) d'au moins "
        f"{leader_min} ans.",
    )


# ---- E5 — duration and dates --------------------------------------------------------------------


@rule("E5")
def e5_dates(dossier, ruleset, *, at, context=None) -> Outcome:
    """E5: ``min_activity_days``..``max_activity_days`` activity days, never more than the calendar
    days from the first to the last day inclusive; first day ≥ submission date (``submitted_at``
    once submitted, else ``at``) + ``min_days_before_start`` days; last day ≥ first day; both
    inside the campaign's activity period (``period.activity_period``)."""
    p = _params(ruleset)
    dmin, dmax, lead = (
        int(p["min_activity_days"]),
        int(p["max_activity_days"]),
        int(p["min_days_before_start"]),
    )
    period = activity_period(dossier.campaign, ruleset)
    submitted_on = local_date(submission_moment(dossier, at))
    earliest = submitted_on + dt.timedelta(days=lead)
    start, end, days = dossier.start_date, dossier.end_date, dossier.activity_days
    calendar_days = (end - start).days + 1 if start and end and end >= start else None
    data = {
        "activity_days": days,
        "min_activity_days": dmin,
        "max_activity_days": dmax,
        "start_date": start.isoformat() if start else None,
        "end_date": end.isoformat() if end else None,
        "calendar_days": calendar_days,
        "submission_date": submitted_on.isoformat(),
        "min_days_before_start": lead,
        "earliest_start": earliest.isoformat(),
        "activity_start": period.first.isoformat(),
        "activity_end": period.last.isoformat(),
        "activity_period_basis": period.basis,
        "committee_date": period.committee_date.isoformat() if period.committee_date else None,
        "activity_period_months": period.months,
    }
    problems = []
    if days is None:
        problems.append(
            (
                "Le nombre de jours d'activité n'est pas indiqué.",
                f"Indiquez le nombre de jours d'activité, voyage non compris (entre {dmin} et {dmax}).",
            )
        )
    elif not dmin <= days <= dmax:
        problems.append(
            (
                f"Le projet compte {days} jour(s) d'activité ; il doit en compter entre {dmin} et {dmax}, "
                "voyage non compris.",
                f"Ajustez le programme pour qu'il dure entre {dmin} et {dmax} jours d'activité.",
            )
        )
    if start is None or end is None:
        problems.append(
            (
                "Les dates du projet (premier et dernier jour) ne sont pas indiquées.",
                "Indiquez le premier et le dernier jour du projet.",
            )
        )
    else:
        if end < start:
            problems.append(
                (
                    f"Le dernier jour ({short_date(end)}) précède le premier jour ({short_date(start)}).",
                    "Corrigez les dates du projet.",
                )
            )
        elif days is not None and days > calendar_days:
            problems.append(
                (
                    f"{days} jours d'activité ne tiennent pas du {short_date(start)} au {short_date(end)} : "
                    f"il n'y a que {calendar_days} jour(s) du premier au dernier jour.",
                    f"Indiquez au plus {calendar_days} jours d'activité, "
                    "ou corrigez le premier ou le dernier jour du projet.",
                )
            )
        if start < earliest:
            problems.append(
                (
                    f"Le projet commence le {short_date(start)}, moins de {lead} jours après le dépôt du "
                    f"{short_date(submitted_on)}.",
                    f"Choisissez un premier jour au plus tôt le {short_date(earliest)}.",
                )
            )
        if not (period.contains(start) and period.contains(end)):
            between = f"entre le {short_date(period.first)} et le {short_date(period.last)}"
            problems.append(
                (
                    f"Le projet doit se dérouler {between} ({_period_text(period)}).",
                    f"Placez le premier et le dernier jour {between}.",
                )
            )
    ok = f"{days} jours d'activité, du {short_date(start)} au {short_date(end)}." if start and end else ""
    return _outcome("E5", problems, data, ok)


def _period_text(period: ActivityPeriod) -> str:
    if period.basis == FROM_COMMITTEE:
        return (
            f"période d'activité de l'appel à projets : les {period.months} mois suivant le comité "
            f"du {short_date(period.committee_date)}"
        )
    return "période d'activité de l'appel à projets"
