"""The eligibility rules E1–E9 of the règlement, as small pure functions.

Each rule has the signature ``rule(dossier, ruleset, *, at, context=None) -> Outcome`` and:

* reads every threshold from ``ruleset.params["eligibility"]`` (never a constant of this module),
  so that an administrator's new rule version changes the verdict;
* returns ``Outcome(code, result, explanation, how_to_fix, data)`` where ``result`` is a
  ``Verdict.Result`` value (``pass`` / ``fail`` / ``not_applicable``), ``explanation`` and
  ``how_to_fix`` are plain French for the mayor, and ``data`` holds the figures the rule used,
  JSON-safe (ints, strings, Decimals as strings, dates in ISO format) — stored with the verdict;
* writes nothing to the database and makes at most one query (E3/E6 use prefetched
  ``documents`` / ``budget_lines`` when present, E7/E8 one query each — none when ``context``
  answers for the dossier).

``context`` is an optional `ChunkContext` built by ``chunk_context(dossiers, at=…)`` for many
dossiers checked together (``engine.run_checks_many``): the rows E7 and E8 read, fetched in one
query each for the whole chunk. A rule given a context that does not cover its dossier (or
another date, for E8) makes its own query, so the verdict never depends on whether it is given.

``at`` is the moment of the check (the engine passes "now" for a preview or at submission).
*The submission moment* used by E5 and E9 is ``dossier.submitted_at`` once the dossier has been
submitted (so a re-check when the instruction opens judges the deposit, not today), else ``at``.
Calendar dates are taken in the project's time zone (Europe/Paris).

``REGISTRY`` maps each code to its function in E1..E9 order; ``evaluate_all`` runs them all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from fonds.dossiers.models import WITHDRAWABLE, Document, Dossier
from fonds.dossiers.states import Status
from fonds.formats import dec, euros, inhabitants, number, pct, short_date

from .models import Verdict
from .period import FROM_COMMITTEE, ActivityPeriod, activity_period

PASS = Verdict.Result.PASS.value
FAIL = Verdict.Result.FAIL.value
NOT_APPLICABLE = Verdict.Result.NOT_APPLICABLE.value


@dataclass
class Outcome:
    code: str
    result: str
    explanation: str
    how_to_fix: str = ""
    data: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.result == PASS

    @property
    def failed(self) -> bool:
        return self.result == FAIL


Rule = Callable[..., Outcome]
REGISTRY: dict[str, Rule] = {}


def rule(code: str):
    """Register a rule function under its code (registration order = evaluation order)."""

    def register(func: Rule) -> Rule:
        REGISTRY[code] = func
        func.code = code
        return func

    return register


# ---- small helpers -------------------------------------------------------------------------


def _params(ruleset) -> dict:
    return ruleset.params["eligibility"]


def local_date(moment: dt.datetime) -> dt.date:
    return timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()


def submission_moment(dossier, at: dt.datetime) -> dt.datetime:
    """When the dossier was (or is being) submitted: ``submitted_at`` if set, else ``at``."""
    return dossier.submitted_at or at


def _as_int(value):
    """An age as int, or None when it is not a whole number (a typing error in the form)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return int(number) if number == number.to_integral_value() else None


def _related(dossier, name: str) -> list:
    """Rows of a reverse relation, from the prefetch cache when present (else one query)."""
    return list(getattr(dossier, name).all())


def _outcome(code: str, problems: list[tuple[str, str]], data: dict, ok_text: str) -> Outcome:
    """Fail with every problem found (explanations and fixes joined), or pass with ``ok_text``."""
    if problems:
        return Outcome(
            code,
            FAIL,
            " ".join(text for text, _ in problems),
            " ".join(fix for _, fix in problems if fix),
            data,
        )
    return Outcome(code, PASS, ok_text, "", data)


# ---- E1 — a current commune of 3,500 inhabitants at most --------------------------------------


@rule("E1")
def e1_small_commune(dossier, ruleset, *, at, context=None) -> Outcome:
    """E1: the applicant is a commune of the referential whose population ≤ ``max_population``.

    "Current" means present in the referential with ``is_current`` true (a commune absent from
    the latest imported COG — merged into a commune nouvelle — is kept for history but fails).
    An unknown population is a failure: the fund cannot check the threshold. The population
    used is the one stored in the referential (the import loads the INSEE figure in force).
    """
    limit = int(_params(ruleset)["max_population"])
    commune = dossier.commune if dossier.commune_id else None
    data = {"commune": dossier.commune_id, "max_population": limit, "population": None}
    if commune is None:
        return Outcome(
            "E1",
            FAIL,
            "Le dossier n'est rattaché à aucune commune du référentiel officiel (code officiel "
            "géographique).",
            "Choisissez votre commune dans la liste : seules les communes existantes au code officiel "
            "géographique peuvent déposer.",
            data,
        )
    is_current = bool(getattr(commune, "is_current", True))
    data.update(commune_name=commune.name, population=commune.population, is_current=is_current)
    if not is_current:
        return Outcome(
            "E1",
            FAIL,
            f"{commune.name} ({commune.code}) ne figure plus au code officiel géographique en vigueur "
            "(fusion ou commune nouvelle).",
            "Déposez le dossier au nom de la commune actuelle (commune nouvelle issue de la fusion) ; en cas "
            "d'erreur, contactez le service du fonds.",
            data,
        )
    if commune.population is None:
        return Outcome(
            "E1",
            FAIL,
            f"La population de {commune.name} n'est pas connue dans le référentiel : le seuil de "
            f"{inhabitants(limit)} ne peut pas être vérifié.",
            "Contactez le service du fonds pour faire compléter la population INSEE de votre commune.",
            data,
        )
    if commune.population > limit:
        return Outcome(
            "E1",
            FAIL,
            f"{commune.name} compte {inhabitants(commune.population)} ; le fonds est réservé aux communes de "
            f"{inhabitants(limit)} au plus.",
            "Ce fonds n'est pas ouvert à votre commune. Un projet porté par une commune plus petite de votre "
            "territoire (par exemple une commune voisine jumelée) peut être déposé par celle-ci.",
            data,
        )
    return Outcome(
        "E1",
        PASS,
        f"{commune.name} compte {inhabitants(commune.population)} (seuil : {number(limit)}).",
        "",
        data,
    )


# ---- E2 — a twinning with a town abroad ---------------------------------------------------------


@rule("E2")
def e2_twinning_abroad(dossier, ruleset, *, at, context=None) -> Outcome:
    """E2: a jumelage of *this* commune with a partner town outside France, with an agreement
    date or a letter of intent (agreement being signed).

    A jumelage that belongs to another commune fails (it cannot support this commune's project).
    """
    jumelage = dossier.jumelage if dossier.jumelage_id else None
    if jumelage is None:
        return Outcome(
            "E2",
            FAIL,
            "Aucun jumelage ni partenariat avec une collectivité étrangère n'est indiqué dans le dossier.",
            "Indiquez la ville partenaire (jumelage ou partenariat) dans la rubrique « Jumelage » du "
            "dossier.",
            {"jumelage": None},
        )
    partner = jumelage.partner
    country = (partner.country or "").strip().upper()
    data = {
        "jumelage": jumelage.pk,
        "partner": partner.name,
        "country": country,
        "agreement_date": jumelage.agreement_date.isoformat() if jumelage.agreement_date else None,
        "letter_of_intent": bool(jumelage.letter_of_intent),
        "jumelage_commune": jumelage.commune_id,
    }
    problems = []
    if jumelage.commune_id != dossier.commune_id:
        problems.append(
            (
                f"Le jumelage indiqué ({partner.name}) n'est pas celui de votre commune.",
                "Choisissez un jumelage de votre propre commune.",
            )
        )
    if not country or country == "FR":
        problems.append(
            (
                f"La ville partenaire {partner.name} doit être située hors de France (pays indiqué : "
                f"{country or 'aucun'}).",
                "Indiquez une collectivité partenaire située à l'étranger, avec son pays.",
            )
        )
    if not jumelage.agreement_date and not jumelage.letter_of_intent:
        problems.append(
            (
                "Ni la date de la convention de jumelage ni une lettre d'intention ne sont indiquées.",
                "Indiquez la date de signature de la convention de jumelage, ou cochez « lettre d'intention "
                "» si la convention est en cours de signature.",
            )
        )
    basis = (
        f"convention du {short_date(jumelage.agreement_date)}"
        if jumelage.agreement_date
        else "lettre d'intention"
    )
    return _outcome("E2", problems, data, f"Jumelage avec {partner.name} ({country}), {basis}.")


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
    """E5: ``min_activity_days``..``max_activity_days`` activity days (travel excluded, as
    declared), and never more than the calendar days from the first to the last day inclusive
    ((last − first) + 1: 10 activity days do not fit between the 1st and the 4th); first day ≥
    submission date + ``min_days_before_start`` days (exactly that many days passes); last day ≥
    first day; first and last day inside the campaign's activity period
    (``period.activity_period``: by default the ``deadlines.activity_period_months`` months after
    the campaign's committee date).

    The submission date is ``dossier.submitted_at`` once submitted, else the date of ``at``.
    """
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


# ---- E6 — budget ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetFigures:
    total: Decimal  # every expense line
    eligible: Decimal  # expense lines flagged eligible
    own_share: Decimal  # income lines of category "own_share"
    income: Decimal  # every income line


def budget_figures(dossier) -> BudgetFigures:
    """Totals of the dossier's budget lines (prefetched ``budget_lines`` used when present)."""
    total = eligible = own = income = Decimal("0")
    for line in _related(dossier, "budget_lines"):
        amount = dec(line.amount)
        if line.kind == "expense":
            total += amount
            if line.eligible:
                eligible += amount
        elif line.kind == "income":
            income += amount
            if line.category == "own_share":
                own += amount
    return BudgetFigures(total, eligible, own, income)


@rule("E6")
def e6_budget(dossier, ruleset, *, at, context=None) -> Outcome:
    """E6: own share ≥ ``min_own_share_pct`` % of total expenses (exactly the percentage passes);
    requested amount ≤ ``max_grant_pct_of_eligible`` % of eligible expenses (exactly passes);
    ``min_request`` ≤ requested ≤ ``max_request``. Decimal arithmetic only, no rounding: the
    comparisons are made as ``own × 100 ≥ pct × total`` and ``requested × 100 ≤ pct × eligible``.
    A budget without expenses fails.
    """
    p = _params(ruleset)
    own_pct, max_pct = dec(p["min_own_share_pct"]), dec(p["max_grant_pct_of_eligible"])
    min_req, max_req = dec(p["min_request"]), dec(p["max_request"])
    b = budget_figures(dossier)
    requested = dossier.requested_amount
    hundred = Decimal("100")
    data = {
        "total_budget": str(b.total),
        "eligible_costs": str(b.eligible),
        "own_share": str(b.own_share),
        "total_income": str(b.income),
        "requested_amount": None if requested is None else str(requested),
        "min_own_share_pct": str(own_pct),
        "max_grant_pct_of_eligible": str(max_pct),
        "min_request": str(min_req),
        "max_request": str(max_req),
        "own_share_pct": str((b.own_share * hundred / b.total).quantize(Decimal("0.01")))
        if b.total
        else None,
        "max_request_from_eligible": str(b.eligible * max_pct / hundred),
    }
    problems = []
    if b.total <= 0:
        problems.append(
            (
                "Le budget ne comporte aucune dépense.",
                "Saisissez les dépenses prévues du projet dans la rubrique « Budget ».",
            )
        )
    elif b.own_share * hundred < own_pct * b.total:
        needed = own_pct * b.total / hundred
        problems.append(
            (
                f"La part de la commune ({euros(b.own_share)}) est inférieure à {pct(own_pct)} du budget "
                f"total ({euros(b.total)}).",
                f"Portez la part de la commune à au moins {euros(needed)}.",
            )
        )
    if requested is None:
        problems.append(
            (
                "Le montant demandé n'est pas indiqué.",
                f"Indiquez le montant demandé, entre {euros(min_req)} et {euros(max_req)}.",
            )
        )
    else:
        if requested * hundred > max_pct * b.eligible:
            problems.append(
                (
                    f"Le montant demandé ({euros(requested)}) dépasse {pct(max_pct)} des dépenses éligibles "
                    f"({euros(b.eligible)}), soit {euros(b.eligible * max_pct / hundred)}.",
                    f"Demandez au plus {euros(b.eligible * max_pct / hundred)}, ou complétez les dépenses "
                    "éligibles.",
                )
            )
        if requested < min_req:
            problems.append(
                (
                    f"Le montant demandé ({euros(requested)}) est inférieur au minimum de {euros(min_req)}.",
                    f"Demandez au moins {euros(min_req)}.",
                )
            )
        if requested > max_req:
            problems.append(
                (
                    f"Le montant demandé ({euros(requested)}) dépasse le maximum de {euros(max_req)}.",
                    f"Demandez au plus {euros(max_req)}.",
                )
            )
    ok = (
        f"Part de la commune {euros(b.own_share)} sur {euros(b.total)} ; montant demandé "
        f"{euros(requested or 0)}."
        if requested is not None
        else ""
    )
    return _outcome("E6", problems, data, ok)


# ---- E7 — one live dossier per commune and campaign -----------------------------------------------

#: the only statuses of another dossier that do not block (E7): a draft (a forgotten draft must not
#: stop the commune), a dossier withdrawn, closed without follow-up (classé sans suite), declared
#: ineligible (irrecevable) or closed (soldé). **Every other status blocks**, including the ones
#: added later (written as an exclusion on purpose): in progress, in committee, approved,
#: waitlisted, rejected, lapsed, renounced… — one decision per commune and campaign.
E7_NON_BLOCKING = frozenset(
    {
        Status.DRAFT,
        Status.WITHDRAWN,
        Status.CLOSED_WITHOUT_FOLLOW_UP,
        Status.INELIGIBLE,
        Status.CLOSED,
    }
)
E7_NOT_COUNTED = sorted(E7_NON_BLOCKING)  # for ``.exclude(status__in=…)``
E7_E8_LISTED = 10  # other dossiers named in an E7 / E8 verdict, at most


def status_text(value: str) -> str:
    """The French label of a status, lower case (the raw code for a status this module does not know)."""
    try:
        return Status(value).label.lower()
    except ValueError:
        return str(value)


def e7_blocking(commune_id, campaign_id, *, exclude_pk=None) -> list[tuple[str, str]]:
    """``(reference, status)`` of the dossiers of ``commune_id`` in ``campaign_id`` that block
    another one (E7), oldest first, at most ``E7_E8_LISTED``. One query."""
    qs = Dossier.objects.filter(commune_id=commune_id, campaign_id=campaign_id)
    qs = qs.exclude(status__in=E7_NOT_COUNTED)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return list(qs.order_by("id").values_list("reference", "status")[:E7_E8_LISTED])


def e7_texts(others: list[tuple[str, str]]) -> tuple[str, str]:
    """``(explanation, how_to_fix)`` in French for the blocking dossiers ``others`` (E7's verdict,
    the « Nouveau dossier » gate of the front office and of the API)."""
    refs = ", ".join(f"{ref} ({status_text(st)})" for ref, st in others)
    explanation = (
        f"Votre commune a déjà un dossier dans cet appel à projets : {refs}. "
        "Un seul dossier par commune et par appel à projets (un dossier brouillon, retiré, "
        "classé sans suite, irrecevable ou soldé ne compte pas)."
    )
    if all(st in WITHDRAWABLE for _, st in others):
        how_to_fix = (
            "Complétez le dossier déjà déposé (par une demande de corrections) "
            "ou retirez-le avant d'en déposer un autre."
        )
    else:
        how_to_fix = (
            "Ce dossier est ou sera décidé par le comité de cet appel à projets : une seule décision "
            "par commune et par appel à projets. Vous pourrez présenter un nouveau projet au prochain "
            "appel à projets."
        )
    return explanation, how_to_fix


@rule("E7")
def e7_single_live_dossier(dossier, ruleset, *, at, context=None) -> Outcome:
    """E7: no *other* dossier of the same commune in the same campaign whose status blocks, i.e.
    any status outside ``E7_NON_BLOCKING`` (draft, withdrawn, closed without follow-up, ineligible,
    closed). The first dossier submitted wins; a second one is blocked until the first is
    withdrawn — and for good once the first has been decided (approved, rejected, lapsed…).
    """
    live = None if context is None else context.live_dossiers(dossier)
    if live is not None:  # the chunk's rows (same filter, same order), this dossier left out
        others = [(ref, st) for pk, ref, st in live if pk != dossier.pk][:E7_E8_LISTED]
    else:
        others = e7_blocking(dossier.commune_id, dossier.campaign_id, exclude_pk=dossier.pk)
    data = {"other_live_dossiers": [{"reference": ref, "status": st} for ref, st in others]}
    if others:
        explanation, how_to_fix = e7_texts(others)
        return Outcome("E7", FAIL, explanation, how_to_fix, data)
    ok = "Aucun autre dossier en cours ou décidé de la commune dans cet appel à projets."
    return Outcome("E7", PASS, ok, "", data)


# ---- E8 — no overdue final report -----------------------------------------------------------------


@rule("E8")
def e8_no_overdue_report(dossier, ruleset, *, at, context=None) -> Outcome:
    """E8: no dossier of the same commune in *another* campaign of the fund whose final report
    is overdue, i.e. status ``advance_paid`` (report not yet filed) and ``report_due`` strictly
    before the date of ``at``. A report due today is not yet late; an ``advance_paid`` dossier
    without a due date is not counted (nothing to be late against).
    """
    today = local_date(at)
    overdue = None if context is None else context.overdue_reports(dossier, today)
    if overdue is not None:  # the chunk's rows (same filter, same order), this campaign left out
        late = [(ref, due) for ref, due, campaign_id in overdue if campaign_id != dossier.campaign_id][
            :E7_E8_LISTED
        ]
    else:
        late = list(
            Dossier.objects.filter(
                commune_id=dossier.commune_id, status=Status.ADVANCE_PAID, report_due__lt=today
            )
            .exclude(campaign_id=dossier.campaign_id)
            .order_by("report_due", "id")
            .values_list("reference", "report_due")[:E7_E8_LISTED]
        )
    data = {
        "date": today.isoformat(),
        "overdue_reports": [{"reference": ref, "report_due": due.isoformat()} for ref, due in late],
    }
    if late:
        refs = ", ".join(f"{ref} (attendu le {short_date(due)})" for ref, due in late)
        return Outcome(
            "E8",
            FAIL,
            f"Le rapport final d'un projet précédent n'a pas été remis à temps : {refs}.",
            "Déposez d'abord le rapport final du projet précédent dans son dossier ; vous pourrez ensuite "
            "déposer ce nouveau dossier.",
            data,
        )
    return Outcome("E8", PASS, "Aucun rapport final en retard pour la commune.", "", data)


# ---- E9 — inside the submission window --------------------------------------------------------------


@rule("E9")
def e9_submission_window(dossier, ruleset, *, at, context=None) -> Outcome:
    """E9: the submission moment lies inside ``campaign.opens_at``..``closes_at`` (both
    inclusive). The submission moment is ``dossier.submitted_at`` once submitted, else ``at``
    (now, for a draft being previewed or being submitted).
    """
    campaign = dossier.campaign
    moment = submission_moment(dossier, at)
    data = {
        "moment": moment.isoformat(),
        "opens_at": campaign.opens_at.isoformat(),
        "closes_at": campaign.closes_at.isoformat(),
    }
    fmt = "%d/%m/%Y à %H:%M"
    opens, closes = timezone.localtime(campaign.opens_at), timezone.localtime(campaign.closes_at)
    if moment < campaign.opens_at:
        return Outcome(
            "E9",
            FAIL,
            f"L'appel à projets n'est pas encore ouvert : les dépôts commencent le {opens.strftime(fmt)}.",
            f"Enregistrez votre brouillon et déposez-le à partir du {opens.strftime(fmt)}.",
            data,
        )
    if moment > campaign.closes_at:
        return Outcome(
            "E9",
            FAIL,
            f"L'appel à projets est clos depuis le {closes.strftime(fmt)}.",
            "Les dépôts ne sont plus possibles pour cet appel à projets ; vous pourrez présenter votre "
            "projet au prochain appel.",
            data,
        )
    return Outcome("E9", PASS, f"Dépôt dans les délais (clôture le {closes.strftime(fmt)}).", "", data)


# ---- what E7 and E8 read, for many dossiers at once --------------------------------------------------


@dataclass
class ChunkContext:
    """The rows E7 and E8 need for a set of dossiers, fetched in one query each.

    ``live``: for each (commune, campaign) pair of the set, the dossiers E7 counts, as
    ``(pk, reference, status)`` ordered by pk — the dossier itself included (E7 leaves it out).
    ``overdue``: for each commune of the set, the ``advance_paid`` dossiers whose ``report_due``
    is before ``today``, as ``(reference, report_due, campaign_id)`` ordered by (report_due, pk),
    every campaign included (E8 leaves the dossier's own out).
    """

    today: dt.date
    live: dict = field(default_factory=dict)
    overdue: dict = field(default_factory=dict)

    def live_dossiers(self, dossier):
        """E7's rows for ``dossier``, or None when this context was not built for it."""
        return self.live.get((dossier.commune_id, dossier.campaign_id))

    def overdue_reports(self, dossier, today: dt.date):
        """E8's rows for ``dossier`` at ``today``, or None when not built for it / that date."""
        if today != self.today:
            return None
        return self.overdue.get(dossier.commune_id)


def _slices(values: list, size: int = 500):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def chunk_context(dossiers, *, at) -> ChunkContext:
    """What E7 and E8 read for ``dossiers`` (saved ones), in one query each (per 500 communes):
    the counted dossiers of their communes in their campaigns, and the overdue reports of their
    communes. Same filters and orders as the rules' own queries."""
    dossiers = [d for d in dossiers if d.pk is not None]
    context = ChunkContext(today=local_date(at))
    pairs = {(d.commune_id, d.campaign_id) for d in dossiers}
    communes = sorted({c for c, _ in pairs})
    campaigns = sorted({c for _, c in pairs})
    for commune_id, campaign_id in pairs:
        context.live[(commune_id, campaign_id)] = []
    for commune_id in communes:
        context.overdue[commune_id] = []
    for part in _slices(communes):
        rows = (
            Dossier.objects.filter(commune_id__in=part, campaign_id__in=campaigns)
            .exclude(status__in=E7_NOT_COUNTED)
            .order_by("id")
            .values_list("commune_id", "campaign_id", "id", "reference", "status")
        )
        for commune_id, campaign_id, pk, ref, st in rows:
            bucket = context.live.get((commune_id, campaign_id))
            if bucket is not None:  # the IN × IN product also brings pairs nobody asked for
                bucket.append((pk, ref, st))
        rows = (
            Dossier.objects.filter(
                commune_id__in=part, status=Status.ADVANCE_PAID, report_due__lt=context.today
            )
            .order_by("report_due", "id")
            .values_list("commune_id", "reference", "report_due", "campaign_id")
        )
        for commune_id, ref, due, campaign_id in rows:
            context.overdue[commune_id].append((ref, due, campaign_id))
    return context


# ---- all rules ---------------------------------------------------------------------------------------


def evaluate_all(dossier, ruleset, *, at, context: ChunkContext | None = None) -> list[Outcome]:
    """Every rule's outcome, in E1..E9 order (``context``: see `ChunkContext`)."""
    return [func(dossier, ruleset, at=at, context=context) for func in REGISTRY.values()]
