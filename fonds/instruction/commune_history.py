"""The commune's history with the fund (issue 20): every dossier it submitted, across campaigns,
with its status, the amounts approved, paid and recovered, and whether its final report is
overdue — for the instructor weighing a new application, and for auditors (API).

Two queries whatever the number of dossiers (the dossiers with their campaign; the paid orders
summed per dossier and kind). Drafts are left out: never submitted, they are not yet the fund's.
Paid: advance and balance orders paid; recovered: recovery orders paid (as in the decision
export); a report is overdue when the advance is paid and ``report_due`` has passed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum

from fonds import clock
from fonds.dossiers.models import Dossier
from fonds.dossiers.states import Status
from fonds.payments.models import OrderKind, OrderState, PaymentOrder

ZERO = Decimal("0.00")


@dataclass
class HistoryRow:
    pk: int
    reference: str
    campaign: str
    year: int | None
    title: str
    status: str
    status_label: str
    submitted_at: dt.datetime | None
    approved: Decimal | None
    paid: Decimal
    recovered: Decimal
    report_due: dt.date | None
    report_overdue: bool
    days_overdue: int | None
    current: bool  # the dossier being read


@dataclass
class CommuneHistory:
    commune: str
    rows: list[HistoryRow] = field(default_factory=list)

    @property
    def others(self) -> list[HistoryRow]:
        return [r for r in self.rows if not r.current]

    @property
    def totals(self) -> dict:
        return {
            "dossiers": len(self.rows),
            "approved": sum((r.approved or ZERO for r in self.rows), ZERO),
            "paid": sum((r.paid for r in self.rows), ZERO),
            "recovered": sum((r.recovered for r in self.rows), ZERO),
            "overdue_reports": sum(1 for r in self.rows if r.report_overdue),
        }


def commune_history(commune_id: str, *, current: int | None = None) -> CommuneHistory:
    """The history of the commune ``commune_id`` (INSEE code), newest campaign first;
    ``current``: the pk of the dossier being read (marked, still listed)."""
    dossiers = list(
        Dossier.objects.filter(commune_id=commune_id)
        .exclude(status=Status.DRAFT)
        .select_related("campaign")
        .only(
            "pk",
            "reference",
            "title",
            "status",
            "submitted_at",
            "approved_amount",
            "report_due",
            "commune_name",
            "campaign__name",
            "campaign__year",
        )
        .order_by("-campaign__year", "-campaign_id", "-submitted_at", "-pk")
    )
    money: dict[int, dict[str, Decimal]] = {}
    orders = (
        PaymentOrder.objects.filter(dossier__commune_id=commune_id, state=OrderState.PAID)
        .order_by()
        .values_list("dossier_id", "kind")
        .annotate(total=Sum("amount"))
    )
    for dossier_id, kind, total in orders:
        key = "recovered" if kind == OrderKind.RECOVERY else "paid"
        sums = money.setdefault(dossier_id, {"paid": ZERO, "recovered": ZERO})
        sums[key] += Decimal(total or 0).quantize(Decimal("0.01"))
    today = clock.today()
    history = CommuneHistory(commune=dossiers[0].commune_name if dossiers else "")
    for d in dossiers:
        overdue = d.status == Status.ADVANCE_PAID and d.report_due is not None and d.report_due < today
        sums = money.get(d.pk, {"paid": ZERO, "recovered": ZERO})
        history.rows.append(
            HistoryRow(
                pk=d.pk,
                reference=d.reference,
                campaign=d.campaign.name,
                year=d.campaign.year,
                title=d.title,
                status=d.status,
                status_label=d.get_status_display(),
                submitted_at=d.submitted_at,
                approved=d.approved_amount,
                paid=sums["paid"],
                recovered=sums["recovered"],
                report_due=d.report_due,
                report_overdue=overdue,
                days_overdue=(today - d.report_due).days if overdue else None,
                current=d.pk == current,
            )
        )
    return history
