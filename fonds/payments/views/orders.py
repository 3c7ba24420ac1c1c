"""Finance pages of the payment orders: the filtered list, an order, its actions (cancel, re-issue,
recovery steps), each behind a confirmation."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET, require_http_methods
from django_fsm import can_proceed

from .. import queries
from ..bank import bank_details_for
from ..execution import RETURN_REASONS
from ..forms import MotivatedForm
from ..models import OrderKind, OrderState, PaymentOrder, Settlement
from ..orders import cancel_order, reissue_order
from ..recovery import (
    make_recovery_final,
    record_recovery_received,
    recovery_may_be_final,
    recovery_too_early_message,
    write_off_recovery,
)
from .common import (
    PAGE_SIZES,
    Page,
    audit_events,
    confirmed,
    finance_area,
    order_url,
    posted,
    query_without,
    render_page,
    state_changed,
)


@finance_area
@require_GET
def orders(request):
    qs, form = queries.filter_orders(request.GET)
    page = Page(queries.order_rows(qs), request.GET)
    querystring = query_without(request.GET)
    summary = (
        queries.selection_summary(qs)
        if form.is_valid()
        else {"count": 0, "total": 0, "ready_count": 0, "ready_total": 0}
    )
    return render_page(
        request,
        "payments/orders.html",
        {
            "title": "Ordres de paiement",
            "section": "orders",
            "form": form,
            "page": page,
            "summary": summary,
            "page_links": page.links(querystring),
            "neighbours": page.neighbour_urls(querystring),
            "page_sizes": PAGE_SIZES,
            "querystring": query_without(request.GET, drop=("page", "taille")),
            "selection": query_without(request.GET, drop=("page", "taille")),
        },
        status=200 if form.is_valid() else 400,
    )


#: order actions: FSM method (availability and labels) → how the page calls the service
ORDER_ACTIONS = {
    "cancel": {
        "method": "cancel",
        "motivation": True,
        "confirm": "Je confirme l'annulation définitive de cet ordre",
    },
    "reissue": {
        "method": "reissue",
        "motivation": False,
        "confirm": "Je confirme la réémission de ce virement (il redevient prêt à payer)",
    },
    "make_final": {
        "method": "make_final",
        "motivation": False,
        "confirm": "Je confirme que ce reversement devient exigible",
    },
    "record_recovered": {
        "method": "record_recovered",
        "motivation": False,
        "confirm": "Je confirme avoir reçu ce reversement de la commune",
    },
    "write_off": {
        "method": "write_off",
        "motivation": True,
        "confirm": "Je confirme l'admission en non-valeur (la créance est abandonnée)",
    },
}


def _call(name: str, order, by, motivation: str):
    if name == "cancel":
        return cancel_order(order, by=by, motivation=motivation)
    if name == "reissue":
        return reissue_order(order, by=by)
    if name == "make_final":
        return make_recovery_final(order, by=by, motivation=motivation)
    if name == "record_recovered":
        return record_recovery_received(order, by=by)
    if name == "write_off":
        return write_off_recovery(order, by=by, motivation=motivation)
    raise Http404("Action inconnue.")


def _action_label(name: str) -> str:
    """The French label of an order action, from the model's transition metadata."""
    transitions = getattr(PaymentOrder, ORDER_ACTIONS[name]["method"])._django_fsm.transitions
    return next((t.custom.get("label") for t in transitions.values() if t.custom), name)


def _order_actions(order) -> list[dict]:
    """The actions the order's state allows now; « make final » only once the contradictory step is
    over (the mayor answered or the answer period ended: ``recovery_may_be_final``)."""
    return [
        {"name": name, "label": _action_label(name), "destructive": name in ("cancel", "write_off")}
        for name, spec in ORDER_ACTIONS.items()
        if can_proceed(getattr(order, spec["method"]))
        and (name != "make_final" or recovery_may_be_final(order))
    ]


def _final_pending(order) -> str:
    """For a recovery whose contradictory step is not over: when it can be made final (French), else ""."""
    if (
        order.kind == OrderKind.RECOVERY
        and order.state == OrderState.CONTRADICTORY
        and not recovery_may_be_final(order)
    ):
        return recovery_too_early_message(order)
    return ""


def _order(pk) -> PaymentOrder:
    return get_object_or_404(
        PaymentOrder.objects.select_related(
            "dossier", "dossier__commune", "dossier__campaign", "created_by", "answered_by"
        ),
        pk=pk,
    )


@finance_area
@require_GET
def order_page(request, pk):
    order = _order(pk)
    items = list(order.batch_items.select_related("batch").order_by("pk"))
    bank = bank_details_for(order.dossier.commune_id)
    return render_page(
        request,
        "payments/order.html",
        {
            "title": f"Ordre {order.reference}",
            "section": "orders",
            "order": order,
            "items": items,
            "bank": bank,
            "actions": _order_actions(order) if request.can_pay else [],
            "events": audit_events("payments.paymentorder", order.pk),
            "final_pending": _final_pending(order),
            "reasons": RETURN_REASONS,
            "settlement": Settlement.objects.filter(dossier_id=order.dossier_id).first(),
        },
    )


@finance_area
@require_http_methods(["GET", "POST"])
def order_action(request, pk, name):
    if name not in ORDER_ACTIONS:
        raise Http404("Action inconnue.")
    order = _order(pk)
    spec = ORDER_ACTIONS[name]
    available = {a["name"]: a for a in _order_actions(order)}
    label = _action_label(name)
    form = MotivatedForm(posted(request), needs_motivation=spec["motivation"], label=spec["confirm"])
    status = 200
    if name == "make_final" and _final_pending(order):
        messages.error(request, _final_pending(order))
        status = 409
    elif name not in available:
        messages.error(
            request,
            f"« {label} » n'est pas possible : l'ordre {order.reference} est « "
            f"{order.get_state_display()} ».",
        )
        status = 409
    else:
        done, status = confirmed(
            request,
            form,
            lambda: _call(name, order, request.user, form.cleaned_data["motivation"]),
            then=order_url,
            success=state_changed(f"« {label} »", "L'ordre"),
        )
        if done:
            return done
    bank = bank_details_for(order.dossier.commune_id) if name == "reissue" else None
    return render_page(
        request,
        "payments/order_action.html",
        {
            "title": f"{label} — {order.reference}",
            "section": "orders",
            "order": order,
            "name": name,
            "label": label,
            "form": form,
            "allowed": name in available and request.can_pay,
            "bank": bank,
        },
        status=status,
    )
