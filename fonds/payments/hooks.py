"""The payment stage's hooks on dossier transitions (registered from PaymentsConfig.ready())."""

from __future__ import annotations

from django_fsm import can_proceed

from fonds.audit import chain as audit
from fonds.dossiers import services
from fonds.dossiers.services import TransitionRefused
from fonds.formats import euros
from fonds.suivi.models import FinalReport
from fonds.suivi.report_dates import refuse_on_dates

from .common import order_payload
from .models import BatchItem, OrderKind, OrderState, PaymentOrder
from .orders import create_advance_order


def create_advance(dossier, by, kwargs, motivation):
    """After ``accept_agreement``: the advance order (same transaction; idempotent)."""
    order = create_advance_order(dossier, by=by)
    kwargs["advance_order"] = order.reference if order is not None else None


def check_balance_dates(dossier, by, data):
    """``settle`` (order 60, after the balance is read): the balance, like the final report's
    acceptance, never before the project's end (``fonds.suivi.report_dates``: 409 ``too_early``)."""
    refuse_on_dates(dossier, FinalReport.objects.filter(dossier=dossier).first(), done="validé")
    return {}


# ---- renunciation: until the advance is paid ---------------------------------------------------

#: advance orders whose money has left, or is leaving, the fund's account
GONE = (OrderState.IN_BATCH, OrderState.SENT, OrderState.PAID)


def live_advance(dossier) -> PaymentOrder | None:
    """The dossier's advance order that is not cancelled, if any."""
    orders = PaymentOrder.objects.filter(dossier=dossier, kind=OrderKind.ADVANCE)
    return orders.exclude(state=OrderState.CANCELLED).first()


def renunciation_refusal(dossier, order: PaymentOrder | None = None) -> str:
    """Why the porteur may no longer renounce because of the advance (French), or "": the
    advance is paid, transmitted to the bank, or in a batch of transfers built for the bank (its
    file may already be on its way). The porteur's page shows it before any input."""
    order = order if order is not None else live_advance(dossier)
    if order is None or order.state not in GONE:
        return ""
    batch = BatchItem.objects.filter(order=order).select_related("batch").order_by("-pk").first()
    where = f" (lot de virements {batch.batch.reference})" if batch is not None else ""
    if order.state == OrderState.PAID:
        done = f"L'avance de {euros(order.amount)} a déjà été versée{where}"
    elif order.state == OrderState.SENT:
        done = f"L'avance de {euros(order.amount)} a déjà été transmise à la banque{where}"
    else:
        done = (
            f"L'avance de {euros(order.amount)} figure déjà dans un lot de virements préparé pour la "
            f"banque{where}"
        )
    return (
        f"{done} : la renonciation n'est plus possible en ligne. Contactez le fonds (service financier) : "
        "il vous indiquera comment renoncer et, le cas échéant, reverser l'avance."
    )


def check_renunciation(dossier, by, data):
    """``renounce`` (order 40): refused once the advance order is in a batch for the bank, sent or
    paid (409, ``advance_sent``); else names the unpaid advance order the after-hook cancels."""
    order = live_advance(dossier)
    if order is not None:
        order = PaymentOrder.objects.select_for_update(of=("self",)).get(pk=order.pk)
    refusal = renunciation_refusal(dossier, order)
    if refusal:
        raise TransitionRefused("status", refusal, rules=["advance_sent"], code="advance_sent")
    return {"advance_order": order.reference if order is not None else None}


def cancel_advance(dossier, by, kwargs, motivation):
    """After ``renounce``: the unpaid advance order is cancelled (same transaction, audited
    ``payment_order_cancelled`` with the renunciation as motivation); nothing will be paid."""
    reference = kwargs.get("advance_order")
    if not reference:
        return
    order = PaymentOrder.objects.select_for_update(of=("self",)).get(reference=reference)
    if not can_proceed(order.cancel):
        message = renunciation_refusal(dossier, order) or "L'avance ne peut pas être annulée."
        raise TransitionRefused("status", message, rules=["advance_sent"], code="advance_sent")
    source = order.state
    text = f"Renonciation du maire à la subvention : {motivation}"
    order.cancel(motivation=text)
    order.save()
    audit.append(
        "payment_order_cancelled",
        actor=by,
        role="porteur",
        obj=order,
        payload=order_payload(
            order, dossier=dossier.reference, motivation=text, renunciation=True, **{"from": source}
        ),
    )
    kwargs["advance_cancelled"] = order.reference


def register() -> None:
    services.after("accept_agreement", order=60)(create_advance)
    services.preparer("settle", order=60)(check_balance_dates)
    services.preparer("renounce", order=40)(check_renunciation)
    services.after("renounce", order=40)(cancel_advance)
