"""Which dossiers are public, and what of them: the publication rules of issue 22.

A dossier is public once its convention is accepted, and stays so while the award lives
(``AGREEMENT_SIGNED`` → ``CLOSED``, the statuses of the SCDL open data): a renounced or lapsed
award leaves the list by its status. Its stable public address is its reference (« FJJ-2026-000123 »),
already published as ``idSubvention`` in the SCDL file. Only the fields of ``FIELDS`` are ever read:
counts of participants, never their names or ages; the public texts unless the fund hid them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Func, IntegerField, Q, Sum

from fonds import clock
from fonds.depot.countries import partner_countries
from fonds.dossiers.models import Dossier
from fonds.dossiers.search import words
from fonds.dossiers.states import Status
from fonds.instruction.filters import REGION_NAMES
from fonds.payments.models import OrderKind, OrderState, PaymentOrder
from fonds.reporting.scdl import AWARDED

#: the statuses of a public project (convention accepted, award alive)
PUBLIC_STATUSES = AWARDED
#: statuses in which the trip is over whatever its dates say
DONE_STATUSES = (Status.REPORT_SUBMITTED, Status.RECOVERY_PENDING, Status.CLOSED)
UPCOMING, DONE = "a-venir", "realise"
STATUS_LABELS = {UPCOMING: "À venir", DONE: "Réalisé"}

#: one-way distance bands (km): key → (label, min, max or None)
DISTANCE_BANDS = {
    "0-499": ("Moins de 500 km", 0, 499),
    "500-1999": ("De 500 à 1 999 km", 500, 1999),
    "2000-3999": ("De 2 000 à 3 999 km", 2000, 3999),
    "4000": ("4 000 km et plus", 4000, None),
}

#: the only columns a public page reads (``Dossier.values``)
FIELDS = (
    "id",
    "reference",
    "title",
    "status",
    "campaign_id",
    "campaign__name",
    "commune_id",
    "commune__name",
    "commune__departement",
    "commune__region",
    "jumelage__partner__name",
    "jumelage__partner__country",
    "start_date",
    "end_date",
    "distance_km",
    "approved_amount",
    "publication__summary",
    "publication__report_paragraph",
    "publication__hidden",
)


class JsonLength(Func):
    """The length of a JSON array column (``youth_ages``, ``leader_ages``): a count, no age read."""

    function = "JSON_ARRAY_LENGTH"
    output_field = IntegerField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, function="JSONB_ARRAY_LENGTH", **extra)


def public_dossiers():
    """Every public project (a queryset of dossiers)."""
    return Dossier.objects.filter(status__in=PUBLIC_STATUSES)


def country_name(code: str) -> str:
    return dict(partner_countries()).get(code or "", code or "")


def region_name(code: str) -> str:
    return REGION_NAMES.get(code or "", code or "non renseignée")


def done_q(today: dt.date) -> Q:
    return Q(status__in=DONE_STATUSES) | Q(end_date__lt=today)


@dataclass(frozen=True)
class Filters:
    """The filters of the public list (as read from a query string by ``forms.FilterForm``)."""

    campaign: int | None = None
    region: str = ""
    departement: str = ""
    country: str = ""
    distance: str = ""
    status: str = ""
    q: str = ""

    def apply(self, qs, *, today: dt.date | None = None):
        today = today or clock.today()
        if self.campaign:
            qs = qs.filter(campaign_id=self.campaign)
        if self.region:
            qs = qs.filter(commune__region=self.region)
        if self.departement:
            qs = qs.filter(commune__departement=self.departement)
        if self.country:
            qs = qs.filter(jumelage__partner__country=self.country)
        if self.distance in DISTANCE_BANDS:
            _, low, high = DISTANCE_BANDS[self.distance]
            qs = qs.filter(distance_km__gte=low)
            if high is not None:
                qs = qs.filter(distance_km__lte=high)
        if self.status == DONE:
            qs = qs.filter(done_q(today))
        elif self.status == UPCOMING:
            qs = qs.exclude(done_q(today))
        # each word: in the dossier's folded search text (reference, title, commune name and code)
        # or in the partner town's name (case-insensitive, accents as typed)
        for typed in self.q.split()[:8]:
            folded = words(typed)
            if folded:
                qs = qs.filter(
                    Q(search_text__contains=folded[0]) | Q(jumelage__partner__name__icontains=typed)
                )
        return qs


@dataclass(frozen=True)
class Project:
    """One public project: everything a public page or the JSON shows of it, nothing else."""

    reference: str
    title: str
    campaign_id: int
    campaign: str
    commune_code: str
    commune: str
    departement: str
    region_code: str
    region: str
    partner: str
    country_code: str
    country: str
    start_date: dt.date | None
    end_date: dt.date | None
    distance_km: int | None
    youth_count: int
    leader_count: int
    summary: str
    report_paragraph: str
    amount_awarded: Decimal | None
    amount_paid: Decimal | None  # once settled (status CLOSED)
    done: bool

    @property
    def status_key(self) -> str:
        return DONE if self.done else UPCOMING

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status_key]

    @property
    def distance_band(self) -> str:
        if self.distance_km is None:
            return ""
        for key, (_, low, high) in DISTANCE_BANDS.items():
            if self.distance_km >= low and (high is None or self.distance_km <= high):
                return key
        return ""


def paid_amounts(ids) -> dict[int, Decimal]:
    """What the fund finally paid to each settled dossier of ``ids``: paid advance and balance, less
    the recoveries received (one query)."""
    paid: dict[int, Decimal] = {}
    rows = (
        PaymentOrder.objects.filter(dossier_id__in=list(ids), state=OrderState.PAID)
        .values_list("dossier_id", "kind")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for dossier_id, kind, total in rows:
        sign = -1 if kind == OrderKind.RECOVERY else 1
        paid[dossier_id] = paid.get(dossier_id, Decimal("0")) + sign * total
    return paid


def rows(qs):
    """``qs`` (public dossiers, filtered, ordered, sliced) read as ``values`` with the counts."""
    return qs.values(*FIELDS).annotate(youth=JsonLength("youth_ages"), leaders=JsonLength("leader_ages"))


def projects(values, *, today: dt.date | None = None, overrides: dict | None = None) -> list[Project]:
    """``Project`` of each row of ``rows(...)`` (one more query for the amounts paid).

    ``overrides`` (``{reference: {"summary": ..., "report_paragraph": ...}}``) shows texts not yet
    saved: the mayor's preview is the public rendering of exactly these texts."""
    today = today or clock.today()
    values = list(values)
    settled = [v["id"] for v in values if v["status"] == Status.CLOSED]
    paid = paid_amounts(settled) if settled else {}
    out = []
    for v in values:
        hidden = bool(v["publication__hidden"])
        texts = {
            "summary": "" if hidden else (v["publication__summary"] or ""),
            "report_paragraph": "" if hidden else (v["publication__report_paragraph"] or ""),
        }
        if overrides and v["reference"] in overrides:
            texts.update(overrides[v["reference"]])
        out.append(
            Project(
                reference=v["reference"],
                title=v["title"],
                campaign_id=v["campaign_id"],
                campaign=v["campaign__name"],
                commune_code=v["commune_id"],
                commune=v["commune__name"],
                departement=v["commune__departement"],
                region_code=v["commune__region"],
                region=region_name(v["commune__region"]),
                partner=v["jumelage__partner__name"] or "",
                country_code=v["jumelage__partner__country"] or "",
                country=country_name(v["jumelage__partner__country"]),
                start_date=v["start_date"],
                end_date=v["end_date"],
                distance_km=v["distance_km"],
                youth_count=v["youth"] or 0,
                leader_count=v["leaders"] or 0,
                summary=texts["summary"],
                report_paragraph=texts["report_paragraph"],
                amount_awarded=v["approved_amount"],
                amount_paid=paid.get(v["id"]) if v["status"] == Status.CLOSED else None,
                done=v["status"] in DONE_STATUSES or bool(v["end_date"] and v["end_date"] < today),
            )
        )
    return out


def project(reference: str) -> Project | None:
    """The public project of this reference, or None (unknown, or not public)."""
    found = projects(rows(public_dossiers().filter(reference=reference)))
    return found[0] if found else None


def preview(dossier, *, summary: str | None = None, report_paragraph: str | None = None) -> Project:
    """The mayor's preview: the dossier as its public page shows it (public or not yet), with the
    texts given instead of the saved ones — the same ``Project``, the same template."""
    texts = {}
    if summary is not None:
        texts["summary"] = summary
    if report_paragraph is not None:
        texts["report_paragraph"] = report_paragraph
    values = rows(Dossier.objects.filter(pk=dossier.pk))
    return projects(values, overrides={dossier.reference: texts})[0]
