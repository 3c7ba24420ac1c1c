"""What every payment service shares: the refusal, role checks, row locks, audit payloads, the
order's FSM step and the dossier's move along the payment flow.

Each service runs in ONE ``transaction.atomic()``, locks the rows it changes with
``select_for_update`` and appends its audit event(s) in that transaction. Refusals raise
``PaymentRefused`` (a ``TransitionRefused``: the API maps it like the dossier transitions, the UI
shows ``.message``) and change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django_fsm import can_proceed

from fonds.accounts.roles import Role, roles_of
from fonds.audit import chain as audit
from fonds.dossiers.models import Dossier
from fonds.dossiers.services import TransitionRefused, perform
from fonds.dossiers.states import Forum
from fonds.formats import AmountError
from fonds.formats import parse_amount as read_amount
from fonds.suivi.report_dates import TOO_EARLY

from .models import Batch, PaymentOrder

CENT = Decimal("0.01")


@dataclass
class PaymentRefused(TransitionRefused):
    """A refused payment operation (kind: status | role | condition | not_found | conflict | too_early).

    ``too_early`` (HTTP 409): a step whose date has not come — a recovery made final before the
    mayor's answer or the end of the answer period, a batch recorded as executed before its
    requested execution date, a final report accepted before the project's end.
    """

    HTTP = {**TransitionRefused.HTTP, TOO_EARLY: 409}


def require_role(by, *roles) -> str:
    held = roles_of(by) if by is not None else frozenset()
    for role in roles:
        if role in held:
            return role
    raise PaymentRefused("role", "Votre rôle ne vous permet pas cette opération de paiement.")


def is_commune_porteur(by, commune_id) -> bool:
    return by is not None and Role.PORTEUR in roles_of(by) and by.commune_id == commune_id


def acting_role(by) -> str:
    if by is None:
        return audit.SYSTEM
    held = roles_of(by)
    for role in (Role.FINANCE, Role.PORTEUR, Role.ADMIN):
        if role in held:
            return role
    return next(iter(held), "")


def required_motivation(motivation, message: str) -> str:
    """The written motivation an irreversible step requires (stripped), or ``PaymentRefused(message)``."""
    motivation = (motivation or "").strip()
    if not motivation:
        raise PaymentRefused("motivation", message)
    return motivation


def parse_amount(value, label: str = "montant") -> Decimal:
    """A strictly positive amount with at most two decimals, or ``PaymentRefused`` (French)."""
    try:
        amount = read_amount(value)
    except AmountError as error:  # quotes what was typed, with examples
        raise PaymentRefused("condition", str(error), rules=["amount"]) from None
    except (InvalidOperation, ValueError, TypeError):
        raise PaymentRefused(
            "condition",
            f"{label.capitalize()} invalide : indiquez un nombre en euros (par exemple 1250,50).",
            rules=["amount"],
        ) from None
    if not amount.is_finite():
        raise PaymentRefused(
            "condition", f"{label.capitalize()} invalide : indiquez un nombre en euros.", rules=["amount"]
        )
    if amount.as_tuple().exponent < -2 and amount != amount.quantize(CENT):
        raise PaymentRefused(
            "condition",
            f"Le {label} a plus de deux décimales : un montant en euros s'exprime au centime près.",
            rules=["amount"],
        )
    if amount <= 0:
        raise PaymentRefused(
            "condition",
            f"Le {label} doit être strictement positif (un ordre de paiement nul ou négatif est refusé).",
            rules=["amount"],
        )
    return amount.quantize(CENT)


def audit_reference(action: str, obj, *, by, role: str, payload: dict):
    """Audit a change to ``obj`` (a batch, an order, a dossier): its reference first in the payload."""
    return audit.append(action, actor=by, role=role, obj=obj, payload={"reference": obj.reference, **payload})


def order_payload(order: PaymentOrder, **extra) -> dict:
    return {
        "reference": order.reference,
        "dossier": order.dossier.reference if "dossier" in order._state.fields_cache else order.dossier_id,
        "kind": order.kind,
        "amount": order.amount,
        "state": order.state,
        **extra,
    }


def json_safe(value):
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


def lock_order(order) -> PaymentOrder:
    pk = order.pk if isinstance(order, PaymentOrder) else order
    locked = (
        PaymentOrder.objects.select_for_update(of=("self",)).select_related("dossier").filter(pk=pk).first()
    )
    if locked is None:
        raise PaymentRefused("not_found", "Ordre de paiement introuvable.")
    return locked


def lock_batch(batch, *, state=None, refusal: str = "") -> Batch:
    """The batch, locked. With ``state``: refused (``status``) unless the batch is in it, with
    ``refusal`` (``{reference}`` and ``{state}`` filled in)."""
    pk = batch.pk if isinstance(batch, Batch) else batch
    locked = Batch.objects.select_for_update().filter(pk=pk).first()
    if locked is None:
        raise PaymentRefused("not_found", "Lot de virements introuvable.")
    if state is not None and locked.state != state:
        raise PaymentRefused(
            "status", refusal.format(reference=locked.reference, state=locked.get_state_display())
        )
    return locked


def move_orders(ids: list, source: str, target: str) -> int:
    """Move the orders ``ids`` still in state ``source`` to ``target``, 900 at a time (SQLite's
    limit on query parameters); returns how many moved."""
    return sum(
        PaymentOrder.objects.filter(pk__in=ids[s : s + 900], state=source).update(state=target)
        for s in range(0, len(ids), 900)
    )


def refresh_caller(obj, locked):
    if obj is not locked and hasattr(obj, "refresh_from_db"):
        obj.refresh_from_db()
    return locked


def fire_transition(order: PaymentOrder, name: str, *args, **kwargs) -> str:
    """Fire the order's FSM transition ``name`` or refuse with a French message; returns the source state."""
    method = getattr(order, name)
    if not can_proceed(method):
        raise PaymentRefused(
            "status", f"Opération impossible : l'ordre {order.reference} est « {order.get_state_display()} »."
        )
    source = order.state
    method(*args, **kwargs)
    return source


def transition_audited(
    locked: PaymentOrder, name: str, action: str, *, by, role, payload=None, motivation=None, **kwargs
) -> str:
    """Fire the locked order's transition ``name``, save it and append ``action`` to the audit trail
    (``order_payload`` with ``from``: the source state, and ``payload``); a ``motivation`` goes to
    the transition and into the payload. Returns the source state."""
    payload = dict(payload or {})
    if motivation is not None:
        kwargs["motivation"] = payload["motivation"] = motivation
    source = fire_transition(locked, name, **kwargs)
    locked.save()
    audit.append(
        action,
        actor=by,
        role=role,
        obj=locked,
        payload=order_payload(locked, **{"from": source, **payload}),
    )
    return source


def move_dossier(
    dossier, name: str, by, *, motivation: str = "", data: dict | None = None, expected: str | None = None
):
    """Move the dossier along, only if it is where the payment flow expects it; returns the
    transition or None."""
    status = Dossier.objects.filter(pk=dossier.pk).values_list("status", flat=True).first()
    if expected is not None and status != expected:
        return None
    perform(dossier.pk, name, by=by, motivation=motivation, data=data, forum=Forum.PAYMENTS)
    return name


def close_recovery(order: PaymentOrder, by, motivation: str):
    """The dossier leaves ``recovery_pending`` (``recover``) once its recovery order is settled."""
    return move_dossier(order.dossier, "recover", by, motivation=motivation, expected="recovery_pending")
