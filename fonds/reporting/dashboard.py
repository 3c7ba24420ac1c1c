"""Figures of the « Contrôle » dashboard, plain functions: six blocks (``statuses``, ``amounts``,
``rate``, ``stages``, ``envelopes``, and ``processing`` from ``processing_data``), each a few
queries whatever the number of dossiers, cached ``CACHE_SECONDS`` per block and campaign. What
each figure counts: docs/stages.md (Dashboard)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q, Sum

from fonds.audit.models import AuditEvent
from fonds.comite.envelope import COMMITTED_STATUSES
from fonds.comite.models import EnvelopeRelease
from fonds.dossiers.models import Dossier
from fonds.dossiers.states import Status
from fonds.instruction.filters import REGION_NAMES
from fonds.payments.models import OrderKind, OrderState, PaymentOrder
from fonds.referentiel.models import Campaign

from . import processing_data

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
CACHE_SECONDS = getattr(settings, "FJJ_DASHBOARD_CACHE_SECONDS", 60)
CACHE_VERSION = 1

BLOCKS = {
    "statuts": "statuses",
    "montants": "amounts",
    "taux": "rate",
    "delais": "stages",
    "enveloppes": "envelopes",
    "traitement": "processing",
}
BLOCK_TITLES = {
    "statuts": "Dossiers par statut",
    "montants": "Montants par région et par département",
    "taux": "Taux d'approbation",
    "delais": "Durée médiane de chaque étape",
    "enveloppes": "Consommation de l'enveloppe par campagne",
    "traitement": "Délais de traitement du fonds, hors attente de la commune",
}

#: approved by the committee (still holding money, or lapsed since: the decision was an approval)
APPROVED_STATUSES = (*COMMITTED_STATUSES, Status.LAPSED)
#: decided by the committee
DECIDED_STATUSES = (*APPROVED_STATUSES, Status.REJECTED, Status.WAITLISTED)

#: (key, label, from actions, to actions); a stage's start is the first event of ``from`` (the
#: last one for complete_instruction: a reopened instruction ends at its last completion), its
#: end the first event of ``to``.
STAGES = [
    ("attente", "Du dépôt à la prise en instruction", "submit", "start_instruction"),
    (
        "instruction",
        "Instruction (de la prise en instruction à la fin de l'instruction)",
        "start_instruction",
        "complete_instruction",
    ),
    (
        "comite",
        "De la fin de l'instruction à la décision (accord ou refus)",
        "complete_instruction",
        "decision",
    ),
    ("convention", "De l'accord à l'acceptation de la convention", "decision_approve", "accept_agreement"),
    ("avance", "De la convention au versement de l'avance", "accept_agreement", "pay_advance"),
    ("realisation", "Du versement de l'avance au solde", "pay_advance", "settle"),
]
#: column of the per-dossier pivot → (aggregate, actions)
_MOMENTS = {
    "submit": ("MIN", ("submit",)),
    "start_instruction": ("MIN", ("start_instruction",)),
    "complete_instruction": ("MAX", ("complete_instruction",)),
    "decision": ("MIN", ("approve", "reject")),
    "decision_approve": ("MIN", ("approve",)),
    "accept_agreement": ("MIN", ("accept_agreement",)),
    "pay_advance": ("MIN", ("pay_advance",)),
    "settle": ("MIN", ("settle",)),
}


def _pct(part, whole) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _money(value) -> Decimal:
    if value is None:
        return ZERO
    return Decimal(str(value)).quantize(CENT, ROUND_HALF_UP)


def _dossiers(campaign_id: int | None):
    qs = Dossier.objects.order_by()
    return qs.filter(campaign_id=campaign_id) if campaign_id else qs


# ---- blocks ----------------------------------------------------------------------------------


def statuses(campaign_id: int | None = None) -> dict:
    counts = dict(_dossiers(campaign_id).values_list("status").annotate(n=Count("id")))
    rows = [
        {"status": value, "label": label, "count": counts.get(value, 0)} for value, label in Status.choices
    ]
    total = sum(r["count"] for r in rows)
    for row in rows:
        row["percent"] = _pct(row["count"], total)
    return {"total": total, "rows": rows}


def rate(campaign_id: int | None = None) -> dict:
    agg = _dossiers(campaign_id).aggregate(
        approved=Count("id", filter=Q(status__in=APPROVED_STATUSES)),
        rejected=Count("id", filter=Q(status=Status.REJECTED)),
        waitlisted=Count("id", filter=Q(status=Status.WAITLISTED)),
    )
    decided = agg["approved"] + agg["rejected"] + agg["waitlisted"]
    return {**agg, "decided": decided, "rate": _pct(agg["approved"], decided)}


AMOUNT_KEYS = ("requested", "proposed", "approved", "paid", "recovered")
AMOUNT_LABELS = {
    "requested": "Demandé",
    "proposed": "Proposé",
    "approved": "Accordé",
    "paid": "Versé",
    "recovered": "Reversé",
}


def amounts(campaign_id: int | None = None) -> dict:

    deposited = ~Q(status=Status.DRAFT)
    per_dep = (
        _dossiers(campaign_id)
        .values_list("commune__region", "commune__departement")
        .annotate(
            dossiers=Count("id", filter=deposited),
            requested=Sum("requested_amount", filter=deposited),
            proposed=Sum("proposed_amount", filter=deposited),
            approved=Sum("approved_amount", filter=Q(status__in=COMMITTED_STATUSES)),
        )
    )
    table: dict[tuple[str, str], dict] = {}

    def row(region, dep):
        key = (region or "", dep or "")
        if key not in table:
            table[key] = {"dossiers": 0, **{k: ZERO for k in AMOUNT_KEYS}}
        return table[key]

    for region, dep, n, requested, proposed, approved in per_dep:
        r = row(region, dep)
        r["dossiers"] += n
        r["requested"] += _money(requested)
        r["proposed"] += _money(proposed)
        r["approved"] += _money(approved)
    orders = PaymentOrder.objects.filter(state=OrderState.PAID).order_by()
    if campaign_id:
        orders = orders.filter(dossier__campaign_id=campaign_id)
    paid = orders.values_list("dossier__commune__region", "dossier__commune__departement", "kind").annotate(
        s=Sum("amount")
    )
    for region, dep, kind, total in paid:
        key = "recovered" if kind == OrderKind.RECOVERY else "paid"
        row(region, dep)[key] += _money(total)

    regions: dict[str, dict] = {}
    departements = []
    for (region, dep), figures in sorted(table.items()):
        departements.append(
            {
                "region": region,
                "region_name": REGION_NAMES.get(region, region or "non renseignée"),
                "departement": dep,
                **figures,
            }
        )
        reg = regions.setdefault(
            region,
            {
                "region": region,
                "region_name": REGION_NAMES.get(region, region or "non renseignée"),
                "dossiers": 0,
                **{k: ZERO for k in AMOUNT_KEYS},
            },
        )
        for k in ("dossiers", *AMOUNT_KEYS):
            reg[k] += figures[k]
    total = {"dossiers": 0, **{k: ZERO for k in AMOUNT_KEYS}}
    for reg in regions.values():
        for k in ("dossiers", *AMOUNT_KEYS):
            total[k] += reg[k]
    return {
        "regions": sorted(regions.values(), key=lambda r: r["region_name"]),
        "departements": departements,
        "total": total,
    }


def _seconds_between(later: str, earlier: str) -> str:
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


def stages(campaign_id: int | None = None) -> dict:
    """Median (and count) of each stage's duration, in days; one query, computed by the database."""
    events = AuditEvent._meta.db_table
    params: list = []
    pivots = []
    all_actions: list[str] = []
    for column, (agg, actions) in _MOMENTS.items():
        marks = ", ".join(["%s"] * len(actions))
        pivots.append(f"{agg}(CASE WHEN action IN ({marks}) THEN created_at END) AS {column}")
        params += actions
        all_actions += [a for a in actions if a not in all_actions]
    where_actions = ", ".join(["%s"] * len(all_actions))
    params += ["dossiers.dossier", *all_actions]
    campaign_filter = ""
    if campaign_id:
        dossiers = Dossier._meta.db_table
        campaign_filter = (
            f" AND object_id IN (SELECT CAST(id AS TEXT) FROM {dossiers} WHERE campaign_id = %s)"
        )
        params.append(campaign_id)
    unions = []
    for key, _, start, end in STAGES:
        unions.append(
            f"SELECT %s AS stage, {_seconds_between(end, start)} AS seconds FROM moments "
            f"WHERE {start} IS NOT NULL AND {end} IS NOT NULL AND {end} >= {start}"
        )
        params.append(key)
    sql = (
        f"WITH moments AS (SELECT object_id, {', '.join(pivots)} FROM {events} "
        f"WHERE object_type = %s AND action IN ({where_actions}){campaign_filter} GROUP BY object_id), "
        f"durations AS ({' UNION ALL '.join(unions)}), "
        "ranked AS (SELECT stage, seconds, ROW_NUMBER() OVER (PARTITION BY stage ORDER BY seconds) AS rn, "
        "COUNT(*) OVER (PARTITION BY stage) AS n FROM durations) "
        "SELECT stage, MAX(n), AVG(seconds) FROM ranked WHERE rn IN ((n + 1) / 2, (n + 2) / 2) GROUP BY stage"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = {stage: (n, seconds) for stage, n, seconds in cursor.fetchall()}
    rows = []
    for key, label, _, _ in STAGES:
        n, seconds = found.get(key, (0, None))
        days = (
            None
            if seconds is None
            else (Decimal(str(seconds)) / 86400).quantize(Decimal("0.1"), ROUND_HALF_UP)
        )
        rows.append({"stage": key, "label": label, "dossiers": int(n or 0), "median_days": days})
    return {"rows": rows}


def envelopes(campaign_id: int | None = None) -> dict:

    campaigns = Campaign.objects.order_by("-year", "-pk")
    if campaign_id:
        campaigns = campaigns.filter(pk=campaign_id)
    campaigns = list(campaigns.values_list("pk", "name", "year", "envelope"))
    ids = [c[0] for c in campaigns]
    approved = dict(
        Dossier.objects.order_by()
        .filter(campaign_id__in=ids, status__in=COMMITTED_STATUSES)
        .values_list("campaign_id")
        .annotate(s=Sum("approved_amount"))
    )
    released = dict(
        EnvelopeRelease.objects.order_by()
        .filter(campaign_id__in=ids, confirmed_at__isnull=False)
        .values_list("campaign_id")
        .annotate(s=Sum("amount"))
    )
    rows = []
    for pk, name, year, envelope in campaigns:
        envelope = _money(envelope)
        committed = _money(approved.get(pk)) - _money(released.get(pk))
        rows.append(
            {
                "campaign": pk,
                "name": name,
                "year": year,
                "envelope": envelope,
                "committed": committed,
                "left": envelope - committed,
                "percent": _pct(committed, envelope),
            }
        )
    return {"rows": rows}


_FUNCTIONS = {
    "statuses": statuses,
    "amounts": amounts,
    "rate": rate,
    "stages": stages,
    "envelopes": envelopes,
    "processing": processing_data.processing,
}


@dataclass(frozen=True)
class Block:
    slug: str
    key: str
    title: str


def blocks() -> list[Block]:
    return [Block(slug, key, BLOCK_TITLES[slug]) for slug, key in BLOCKS.items()]


def cache_key(key: str, campaign_id: int | None) -> str:
    return f"fjj:dashboard:{key}:{campaign_id or 'all'}"


def figures(key: str, campaign_id: int | None = None, *, fresh: bool = False) -> dict:
    """One block's figures, from the cache when computed less than ``CACHE_SECONDS`` ago."""
    name = cache_key(key, campaign_id)
    if not fresh:
        found = cache.get(name, version=CACHE_VERSION)
        if found is not None:
            return found
    value = _FUNCTIONS[key](campaign_id)
    cache.set(name, value, CACHE_SECONDS, version=CACHE_VERSION)
    return value


def all_figures(campaign_id: int | None = None) -> dict:
    return {key: figures(key, campaign_id) for key in _FUNCTIONS}


# ---- charts ----------------------------------------------------------------------------------


def bar_class(value, maximum) -> str:
    """The CSS class of a bar ``value / maximum`` long (``fjj-dash-w-0`` … ``fjj-dash-w-100``):
    widths come from the static style sheet (no ``style`` attribute under the CSP)."""
    if not maximum or not value or value <= 0:
        return "fjj-dash-w-0"
    width = int((Decimal(value) * 100 / Decimal(maximum)).to_integral_value(ROUND_HALF_UP))
    return f"fjj-dash-w-{max(1, min(100, width))}"
