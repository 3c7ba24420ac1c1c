"""Finance pages of the transfer batches: build one from the orders list's selection, the batch and
its SEPA file, transmission, cancellation, execution and bank returns."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Sum
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fonds import clock
from fonds.formats import euros

from .. import queries
from ..batches import batch_file_name, build_batch, cancel_batch, export_batch, next_business_day
from ..common import PaymentRefused
from ..execution import RETURN_REASONS, execution_too_early, mark_batch_sent, record_execution, record_return
from ..forms import BuildBatchForm, ConfirmForm, ReturnForm
from ..models import Batch, BatchState, ItemOutcome, PaymentOrder
from .common import (
    Page,
    audit_events,
    confirmed,
    finance_area,
    posted,
    query_without,
    render_page,
    state_changed,
)


@finance_area
@require_http_methods(["GET", "POST"])
def build_batch_page(request):
    """Confirmation of a batch built from the WHOLE filtered selection of the orders list (its
    batchable part: ready outgoing orders of communes with certified bank details)."""
    source = request.POST if request.method == "POST" else request.GET
    querystring = source.get("selection", "")
    qs, filter_form = queries.filter_orders(QueryDict(querystring))
    summary = queries.selection_summary(qs)
    confirming = request.method == "POST"
    initial = {
        "execution_date": next_business_day(clock.today()),
        "expected_count": summary["ready_count"],
        "expected_total": summary["ready_total"],
    }
    form = BuildBatchForm(request.POST if confirming else None, initial=initial)
    changed = False
    shown = (summary["ready_count"], summary["ready_total"])
    if (
        confirming
        and form.is_valid()
        and (form.cleaned_data["expected_count"], form.cleaned_data["expected_total"]) != shown
    ):
        changed = True
        status = 409
        form = BuildBatchForm(initial={**initial, "execution_date": form.cleaned_data["execution_date"]})
        messages.warning(
            request,
            "La sélection a changé depuis l'affichage de cette page : vérifiez le "
            "nombre d'ordres et le total, puis confirmez à nouveau.",
        )
    else:
        done, status = confirmed(
            request,
            form,
            lambda: build_batch(
                by=request.user,
                order_ids=queries.selection_ids(qs),
                execution_date=form.cleaned_data["execution_date"],
            ),
            then=lambda result: reverse("payments:batch", args=[result.batch.pk]),
            success=lambda result: (
                f"Lot {result.batch.reference} constitué : {result.batch.count} "
                f"virement{'s' if result.batch.count > 1 else ''}, {euros(result.batch.total)}. "
                "Le fichier SEPA est validé et prêt au téléchargement."
            ),
            warning=lambda result: (
                result.excluded
                and (
                    f"{len(result.excluded)} ordre(s) de la sélection n'ont pas été pris (pris par un "
                    "autre lot "
                    "entre-temps, ou coordonnées non certifiées)."
                )
            ),
        )
        if done:
            return done
    return render_page(
        request,
        "payments/build_batch.html",
        {
            "title": "Constituer un lot de virements",
            "section": "batches",
            "form": form,
            "filter_form": filter_form,
            "summary": summary,
            "selection": querystring,
            "changed": changed,
            "list_url": reverse("payments:orders") + (f"?{querystring}" if querystring else ""),
        },
        status=status,
    )


@finance_area
@require_GET
def batches(request):
    page = Page(queries.batch_list(), request.GET)
    querystring = query_without(request.GET)
    return render_page(
        request,
        "payments/batches.html",
        {
            "title": "Lots de virements",
            "section": "batches",
            "page": page,
            "page_links": page.links(querystring),
            "neighbours": page.neighbour_urls(querystring),
        },
    )


def _batch(pk) -> Batch:
    return get_object_or_404(Batch.objects.select_related("created_by", "sent_by"), pk=pk)


#: the execution confirmation lists this many pending transfers, then "… and N more"
PENDING_SHOWN = 100


def _pending(batch) -> dict:
    """Count and total of the batch's transfers still awaiting the bank (one aggregate query)."""
    if batch.state != BatchState.SENT:
        return {"count": 0, "total": 0}
    agg = batch.items.filter(outcome=ItemOutcome.PENDING).aggregate(count=Count("pk"), total=Sum("amount"))
    return {"count": agg["count"] or 0, "total": agg["total"] or 0}


def _batch_context(request, batch, *, return_form=None) -> dict:
    """The batch page: its transfers a page at a time (a batch may hold thousands)."""
    page = Page(queries.batch_items(batch), request.GET, default_size=100)
    querystring = query_without(request.GET)
    pending = _pending(batch)
    # a return may arrive after the execution was recorded (the paid transfer is then returned)
    late_returns = batch.state == BatchState.EXECUTED
    if return_form is None and (pending["count"] or late_returns) and request.can_pay:
        return_form = ReturnForm(reasons=RETURN_REASONS)
    return {
        "title": f"Lot {batch.reference}",
        "section": "batches",
        "batch": batch,
        "items": page,
        "page": page,
        "page_links": page.links(querystring),
        "neighbours": page.neighbour_urls(querystring),
        "late_returns": late_returns,
        "pending_count": pending["count"],
        "return_form": return_form if pending["count"] or late_returns or return_form is not None else None,
        "events": audit_events("payments.batch", batch.pk),
        "reasons": RETURN_REASONS,
        "execution_too_early": execution_too_early(batch) if batch.state == BatchState.SENT else "",
    }


@finance_area
@require_GET
def batch_page(request, pk):
    return render_page(request, "payments/batch.html", _batch_context(request, _batch(pk)))


@finance_area
@require_GET
def batch_file(request, pk):
    """The validated SEPA file, byte-identical on every download (its SHA-256 is on the page)."""
    batch = _batch(pk)
    try:
        data = export_batch(batch, by=request.user)
    except PaymentRefused as refused:
        messages.error(request, refused.message)
        return redirect("payments:batch", pk=batch.pk)
    response = HttpResponse(data, content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{batch_file_name(batch)}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


BATCH_ACTIONS = {
    "transmis": {
        "state": BatchState.READY,
        "title": "Enregistrer la transmission à la banque",
        "confirm": "Je confirme avoir transmis ce fichier à la banque",
        "button": "Enregistrer la transmission",
    },
    "annuler": {
        "state": BatchState.READY,
        "title": "Annuler le lot",
        "confirm": "Je confirme l'annulation du lot (ses ordres redeviennent prêts à payer)",
        "button": "Annuler le lot",
    },
    "execution": {
        "state": BatchState.SENT,
        "title": "Enregistrer l'exécution du lot",
        "confirm": "Je confirme que la banque a exécuté tous les virements en attente de ce lot",
        "button": "Enregistrer l'exécution",
    },
}


@finance_area
@require_http_methods(["GET", "POST"])
def batch_action(request, pk, name):
    if name not in BATCH_ACTIONS:
        raise Http404("Action inconnue.")
    spec = BATCH_ACTIONS[name]
    batch = _batch(pk)
    too_early = execution_too_early(batch) if name == "execution" else ""
    allowed = batch.state == spec["state"] and not too_early
    pending = _pending(batch)
    form = ConfirmForm(posted(request), label=spec["confirm"])
    status = 200 if allowed else 409
    if batch.state != spec["state"]:
        messages.error(
            request,
            f"« {spec['title']} » n'est pas possible : le lot {batch.reference} est « "
            f"{batch.get_state_display()} ».",
        )
    elif too_early:
        messages.error(request, too_early)
    else:
        call = {"transmis": mark_batch_sent, "annuler": cancel_batch, "execution": record_execution}[name]
        done, status = confirmed(
            request,
            form,
            lambda: call(batch, by=request.user),
            then=reverse("payments:batch", args=[batch.pk]),
            success=state_changed(spec["title"], "Le lot"),
        )
        if done:
            return done
    return render_page(
        request,
        "payments/batch_action.html",
        {
            "title": f"{spec['title']} — {batch.reference}",
            "section": "batches",
            "batch": batch,
            "name": name,
            "spec": spec,
            "form": form,
            "allowed": allowed and request.can_pay,
            "pending": pending,
            "pending_items": list(
                batch.items.filter(outcome=ItemOutcome.PENDING).order_by("position")[:PENDING_SHOWN]
            )
            if pending["count"]
            else [],
            "pending_more": max(0, pending["count"] - PENDING_SHOWN),
        },
        status=status,
    )


def _returned_order_id(batch, form):
    """The order the bank's end-to-end id names (this batch's transfer, else any order: the service
    refuses an order not in this batch); None with the field's error when no order has it."""
    reference = form.cleaned_data["end_to_end_id"]
    item = batch.items.filter(end_to_end_id=reference).only("order_id").first()
    if item is not None:
        return item.order_id
    order_id = PaymentOrder.objects.filter(reference=reference).values_list("pk", flat=True).first()
    if order_id is None:
        form.add_error(
            "end_to_end_id",
            f"Aucun ordre de paiement ne porte la référence « {reference} » : "
            "recopiez l'identifiant de bout en bout indiqué par la banque.",
        )
    return order_id


@finance_area
@require_POST
def batch_return(request, pk):
    """One transfer returned by the bank: its end-to-end id (the order's reference, as in the
    bank's return) and the ISO reason code. The service refuses an order not in this batch."""
    batch = _batch(pk)
    form = ReturnForm(request.POST, reasons=RETURN_REASONS)
    order_id = _returned_order_id(batch, form) if form.is_valid() else None
    done, status = confirmed(
        request,
        form,
        lambda: record_return(batch, order_id, by=request.user, reason_code=form.cleaned_data["reason_code"]),
        then=reverse("payments:batch", args=[batch.pk]) + "#virements",
        success=lambda order: (
            f"Rejet enregistré pour l'ordre {order.reference} (motif {order.return_code}). Il pourra être "
            "réémis une fois les coordonnées bancaires de la commune corrigées et certifiées."
        ),
    )
    if done:
        return done
    return render_page(
        request, "payments/batch.html", _batch_context(request, batch, return_form=form), status=status
    )
