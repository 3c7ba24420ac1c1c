"""Recovery orders (ordre de reversement) after a negative balance: the contradictory step, the
recovery made final, then received or written off; the dossier is closed (``recover``) when
nothing more is to be recovered.

Règlement: the mayor is notified and has ``params["deadlines"]["recovery_answer_days"]`` days (15)
to answer; nobody can make the recovery final before the answer or the end of that period (CRPA
L242-2).
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from fonds import clock
from fonds.accounts.roles import Role
from fonds.audit import chain as audit
from fonds.notifications.service import dossier_line, notify
from fonds.suivi.report_dates import TOO_EARLY

from .common import (
    PaymentRefused,
    close_recovery,
    fire_transition,
    is_commune_porteur,
    lock_order,
    order_payload,
    refresh_caller,
    require_role,
    required_motivation,
    transition_audited,
)
from .models import OrderKind, OrderState, PaymentOrder


def recovery_answer_due(order) -> dt.datetime:
    """The end of the mayor's answer period: ``answer_due``, set from the campaign's
    ``recovery_answer_days`` when the notice was issued (recomputed the same way if missing)."""
    if order.answer_due is not None:
        return order.answer_due
    days = int(order.dossier.rules.params["deadlines"]["recovery_answer_days"])
    return order.created_at + dt.timedelta(days=days)


def recovery_final_from(order) -> dt.datetime:
    """From when the recovery may be made final: the mayor's answer, else the end of the answer period."""
    return order.answered_at or recovery_answer_due(order)


def recovery_may_be_final(order, now: dt.datetime | None = None) -> bool:
    """Whether the contradictory step of this recovery is over (the mayor answered, or the period ended)."""
    return (
        order.kind == OrderKind.RECOVERY
        and order.state == OrderState.CONTRADICTORY
        and (now or clock.now()) >= recovery_final_from(order)
    )


def _moment(value: dt.datetime, *, ceil: bool = False) -> str:
    """``value`` in Paris time to the minute: rounded down ("jusqu'au …", as the templates print it),
    or up with ``ceil`` ("à partir du …"), so that the printed minute is never wrong."""
    if ceil and (value.second or value.microsecond):
        value = value.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    return timezone.localtime(value).strftime("%d/%m/%Y à %H:%M")


def recovery_too_early_message(order) -> str:
    """Why the recovery cannot be made final yet, and from when it can (French)."""
    due = recovery_answer_due(order)
    return (
        f"Le reversement {order.reference} ne peut pas encore être rendu exécutoire : la procédure "
        "contradictoire "
        f"est en cours, le maire peut présenter ses observations jusqu'au {_moment(due)}. Il pourra "
        "l'être dès la "
        f"réponse du maire, ou à partir du {_moment(due, ceil=True)} sans réponse."
    )


def answer_recovery(order, by, text: str) -> PaymentOrder:
    """The mayor (a porteur of the commune) answers the recovery notice, before ``answer_due``, once."""
    text = (text or "").strip()
    with transaction.atomic():
        locked = lock_order(order)
        if not is_commune_porteur(by, locked.dossier.commune_id):
            raise PaymentRefused("not_found", "Ordre de paiement introuvable.")
        if locked.kind != OrderKind.RECOVERY or locked.state != OrderState.CONTRADICTORY:
            raise PaymentRefused(
                "status",
                "La procédure contradictoire de ce reversement est close : il n'est plus possible d'y "
                "répondre.",
            )
        if locked.answered_at is not None:
            raise PaymentRefused("status", "Vous avez déjà répondu à cette demande de reversement.")
        now = clock.now()
        if now >= recovery_answer_due(locked):
            raise PaymentRefused(
                "condition",
                f"Le délai de réponse est expiré depuis le {_moment(recovery_answer_due(locked))}.",
                rules=["recovery_answer_deadline"],
            )
        if len(text) < 3 or len(text) > 5000:
            raise PaymentRefused(
                "condition", "Écrivez votre réponse (5 000 caractères au plus).", rules=["answer_text"]
            )
        locked.answer_text = text
        locked.answered_at = now
        locked.answered_by = by
        locked.save(update_fields=["answer_text", "answered_at", "answered_by"])
        audit.append(
            "recovery_answered",
            actor=by,
            role=Role.PORTEUR,
            obj=locked,
            payload=order_payload(locked, answer_sha256=hashlib.sha256(text.encode()).hexdigest()),
        )
        dossier = locked.dossier
        notify(
            "recovery_answered",
            dossier=dossier,
            context={
                "body": f"{dossier_line(dossier)}\nLe maire a répondu à l'ordre de reversement "
                f"{locked.reference}.",
                "link": reverse("payments:order", args=[locked.pk]),
            },
            key=f"{locked.pk}",
        )
        return refresh_caller(order, locked)


def make_recovery_final(order, *, by=None, motivation: str = "") -> PaymentOrder:
    """The recovery becomes final (exigible) — never before the contradictory step is over.

    Finance, once the mayor has answered (after reading the answer) or the answer period has ended;
    the system (``by=None``, ``expire_recovery_answers``) only at the end of the period without an
    answer (an answer is for finance to weigh). Before: ``too_early`` (409), saying from when.
    """
    role = require_role(by, Role.FINANCE) if by is not None else audit.SYSTEM
    with transaction.atomic():
        locked = lock_order(order)
        if locked.kind != OrderKind.RECOVERY:
            raise PaymentRefused("status", "Seul un ordre de reversement peut être rendu exécutoire.")
        if locked.state != OrderState.CONTRADICTORY:
            raise PaymentRefused(
                "status",
                f"Opération impossible : l'ordre {locked.reference} est « {locked.get_state_display()} ».",
            )
        if by is None and locked.answered_at is not None:
            raise PaymentRefused(
                "status",
                "Le maire a répondu : c'est au service financier d'examiner sa réponse et de décider "
                "du reversement.",
            )
        if not recovery_may_be_final(locked):
            raise PaymentRefused(
                TOO_EARLY, recovery_too_early_message(locked), rules=["recovery_answer_period"]
            )
        source = fire_transition(locked, "make_final")
        locked.motivation = (motivation or "").strip()
        locked.save()
        audit.append(
            "recovery_made_final",
            actor=by,
            role=role,
            obj=locked,
            payload=order_payload(
                locked,
                **{
                    "from": source,
                    "motivation": locked.motivation,
                    "answered": locked.answered_at is not None,
                    "answer_due": recovery_answer_due(locked),
                },
            ),
        )
        return refresh_caller(order, locked)


def record_recovery_received(order, *, by) -> PaymentOrder:
    """Finance records that the commune paid the recovery back; the dossier is closed (``recover``)."""
    role = require_role(by, Role.FINANCE)
    with transaction.atomic():
        locked = lock_order(order)
        if locked.kind != OrderKind.RECOVERY:
            raise PaymentRefused("status", "Cet ordre n'est pas un reversement.")
        transition_audited(locked, "record_recovered", "recovery_received", by=by, role=role)
        close_recovery(locked, by, f"Reversement {locked.reference} reçu.")
        return refresh_caller(order, locked)


def write_off_recovery(order, *, by, motivation: str) -> PaymentOrder:
    """Finance writes the recovery off (admission en non-valeur, motivated); the dossier is closed."""
    role = require_role(by, Role.FINANCE)
    motivation = required_motivation(motivation, "L'admission en non-valeur exige une motivation écrite.")
    with transaction.atomic():
        locked = lock_order(order)
        if locked.kind != OrderKind.RECOVERY:
            raise PaymentRefused("status", "Cet ordre n'est pas un reversement.")
        transition_audited(
            locked, "write_off", "recovery_written_off", by=by, role=role, motivation=motivation
        )
        close_recovery(locked, by, f"Reversement {locked.reference} admis en non-valeur : {motivation}")
        return refresh_caller(order, locked)


def expire_recovery_answers(now=None) -> list[str]:
    """Make final every recovery whose answer period has ended without an answer (the system;
    règlement deadline table). An answered recovery waits for finance's decision.

    Idempotent: each order is re-checked under its lock (``make_recovery_final``, on the clock);
    returns the references made final.
    """
    now = now or clock.now()
    done = []
    due = PaymentOrder.objects.filter(
        kind=OrderKind.RECOVERY, state=OrderState.CONTRADICTORY, answered_at__isnull=True, answer_due__lte=now
    )
    for pk in due.values_list("pk", flat=True):
        try:
            done.append(make_recovery_final(pk, by=None, motivation="Délai de réponse expiré.").reference)
        except PaymentRefused:
            continue
    return done
