"""Read-only queries of the payment pages (no state change here: see ``services``).

``filter_orders(params) -> (queryset, form)`` is the only way to turn the orders list's
querystring into a selection: the list shows it, the batch confirmation re-runs it on the posted
querystring (the whole filtered selection, not the page), so both always agree. An invalid form
gives an empty queryset, never a silently broader selection.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum

from fonds.dossiers.models import Document, Dossier
from fonds.dossiers.states import Status
from fonds.ui.selection import as_querydict, filter_by_fields

from .forms import OrderFilterForm
from .models import OUTGOING_KINDS, BankDetails, Batch, OrderKind, OrderState, PaymentOrder, Settlement

SORTS = {
    "-created": ["-created_at", "-pk"],
    "created": ["created_at", "pk"],
    "-amount": ["-amount", "-pk"],
    "amount": ["amount", "pk"],
    "reference": ["reference", "pk"],
    "commune": ["dossier__commune__name", "pk"],
}
DEFAULT_SORT = "-created"


def apply_order_filters(qs: QuerySet, data: dict) -> QuerySet:
    qs = filter_by_fields(
        qs,
        data,
        filled={
            "state": "state__in",
            "kind": "kind",
            "campaign": "dossier__campaign",
            "departement": "dossier__commune__departement",
        },
        bounds={"amount_min": "amount__gte", "amount_max": "amount__lte"},
    )
    q = data.get("q")
    if q:
        if q.upper().startswith("FJJ-"):
            qs = qs.filter(Q(reference__istartswith=q) | Q(dossier__reference__istartswith=q))
        elif q.isdigit() and len(q) == 5:
            qs = qs.filter(dossier__commune_id=q)
        else:
            qs = qs.filter(Q(dossier__commune__name__icontains=q) | Q(reference__icontains=q))
    return qs


def filter_orders(params) -> tuple[QuerySet, OrderFilterForm]:
    """``(payment orders matching params, ordered with pk last; the bound form)``."""
    form = OrderFilterForm(as_querydict(params))
    base = PaymentOrder.objects.all()
    if not form.is_valid():
        return base.none(), form
    qs = apply_order_filters(base, form.cleaned_data)
    return qs.order_by(*SORTS.get(form.cleaned_data.get("sort") or DEFAULT_SORT, SORTS[DEFAULT_SORT])), form


def order_rows(qs: QuerySet) -> QuerySet:
    """What a row of the list shows (one query, whatever the page size)."""
    return qs.select_related("dossier", "dossier__commune", "dossier__campaign")


def batchable(qs: QuerySet) -> QuerySet:
    """The part of a selection a batch may take: ready outgoing orders of communes whose bank
    details are certified (the service re-checks it under lock; this is for the confirmation)."""
    return qs.filter(
        state=OrderState.READY,
        kind__in=OUTGOING_KINDS,
        dossier__commune__bank_details__certified_at__isnull=False,
    )


def selection_summary(qs: QuerySet) -> dict:
    """Count and total of a selection, plus how many of its orders a batch would take (2 queries)."""
    whole = qs.order_by().aggregate(n=Count("pk"), total=Sum("amount"))
    ready = batchable(qs).order_by().aggregate(n=Count("pk"), total=Sum("amount"))
    return {
        "count": whole["n"] or 0,
        "total": whole["total"] or Decimal("0.00"),
        "ready_count": ready["n"] or 0,
        "ready_total": ready["total"] or Decimal("0.00"),
    }


def selection_ids(qs: QuerySet) -> list[int]:
    """The pks of the batchable part of a selection (what the batch is built from)."""
    return list(batchable(qs).order_by("pk").values_list("pk", flat=True))


# ---- bank details -------------------------------------------------------------------------------


def bank_details_to_certify() -> QuerySet:
    """Bank details not (or no longer) certified, with the number of orders they block."""
    blocking = Q(commune__dossiers__payment_orders__state__in=[OrderState.TO_CERTIFY, OrderState.RETURNED])
    return (
        BankDetails.objects.filter(certified_at__isnull=True)
        .select_related("commune", "rib_document", "updated_by")
        .annotate(blocked=Count("commune__dossiers__payment_orders", filter=blocking))
        .order_by("-blocked", "updated_at", "pk")
    )


def commune_orders(commune_id: str) -> QuerySet:
    return (
        PaymentOrder.objects.filter(dossier__commune_id=commune_id)
        .select_related("dossier")
        .order_by("-created_at", "-pk")
    )


def rib_choices(commune_id: str) -> list:
    """The current RIB documents of the commune's dossiers (newest first), for the porteur's form."""
    return list(
        Document.objects.filter(
            dossier__commune_id=commune_id, kind=Document.Kind.RIB, replaced_by__isnull=True
        )
        .select_related("dossier")
        .order_by("-uploaded_at", "-pk")[:50]
    )


# ---- final reports and recoveries --------------------------------------------------------------


def reports_to_accept() -> QuerySet:
    """Dossiers whose final report is submitted and not yet accepted by finance."""
    return (
        Dossier.objects.filter(status=Status.REPORT_SUBMITTED)
        .exclude(Exists(Settlement.objects.filter(dossier=OuterRef("pk"))))
        .select_related("commune", "campaign")
        .select_related("final_report")
        .order_by("final_report__submitted_at", "pk")
    )


def open_recoveries() -> QuerySet:
    return (
        PaymentOrder.objects.filter(
            kind=OrderKind.RECOVERY, state__in=[OrderState.CONTRADICTORY, OrderState.FINAL]
        )
        .select_related("dossier", "dossier__commune")
        .order_by("answer_due", "pk")
    )


# ---- batches ------------------------------------------------------------------------------------


def batch_list() -> QuerySet:
    return Batch.objects.select_related("created_by").order_by("-created_at", "-pk")


def batch_items(batch) -> QuerySet:
    return batch.items.select_related("order", "order__dossier", "order__dossier__commune").order_by(
        "position"
    )
