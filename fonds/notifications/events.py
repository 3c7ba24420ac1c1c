"""Which dossier transition notifies whom: the receiver of ``dossier_transitioned``.

Connected from ``NotificationsConfig.ready()`` (the app comes after ``workflows`` in
INSTALLED_APPS, so the process has moved on and the dossier's new queue is known; a chunk of
``perform_many`` is deferred after the process's own move). Runs in the transition's transaction:
the notifications and their emails commit, or roll back, with the change. Each key names the event
(the dossier, the transition and the audit sequence number of the change), so a notification is
never made twice for one change.
"""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from fonds.accounts.roles import Role
from fonds.audit.queries import latest_position
from fonds.conversation.items import correction_items
from fonds.dossiers.models import Dossier
from fonds.dossiers.signals import dossier_transitioned
from fonds.dossiers.states import Status
from fonds.formats import euros, long_date
from fonds.payments.models import Settlement
from fonds.payments.settlement import advance_paid_amount
from fonds.ui import worklist

from .service import dossier_line, notify

DECISIONS = {
    "approve": "accordée",
    "promote": "accordée (liste complémentaire)",
    "reject": "refusée",
    "waitlist": "inscrite en liste complémentaire",
    "defer": "ajournée à une prochaine séance",
}
#: transitions whose staff notice is more precise than « a dossier entered my queue »
STAFF_SPECIFIC = {"resubmit": "correction_answered", "submit_report": "report_filed"}


def last_event_seq(dossier) -> str:
    """The audit position of the dossier's latest event (the change being notified): its sequence
    number, or ``p<id>`` while the sequencer has not chained it yet (deferred mode, docs/audit.md)."""
    return latest_position(dossier)


def _page(name: str, dossier) -> str:
    return reverse(name, args=[dossier.pk])


def _named_items(dossier, request) -> list[str]:
    """The fields and documents the request names, one line each with the step where they are
    fixed (labels only: never a field's value)."""
    fields, documents = correction_items(dossier, request)
    lines = [f"- {f['label']}" + (f" (étape « {f['step']} »)" if f["step"] else "") for f in fields]
    lines += [f"- {d['label']} (pièce à fournir)" for d in documents]
    return ["Éléments à corriger :", *lines] if lines else []


def _corrections(dossier, event: str) -> None:
    request = dossier.correction_requests.order_by("-created_at", "-pk").first()
    lines = [dossier_line(dossier), "Le fonds vous demande de corriger votre dossier."]
    if request is not None:
        lines.append(f"Message de l'instructeur : {request.message}")
        lines.append(f"À corriger avant le {long_date(request.deadline)}.")
        lines.extend(_named_items(dossier, request))
    notify(
        "corrections_requested",
        dossier=dossier,
        context={"body": "\n".join(lines), "link": _page("suivi:corrections", dossier)},
        key=f"{dossier.pk}-{request.pk if request else event}",
    )


def _decision(dossier, transition: str, event: str) -> None:
    lines = [dossier_line(dossier), f"Le comité a examiné votre demande : elle est {DECISIONS[transition]}."]
    if transition in ("approve", "promote") and dossier.approved_amount is not None:
        lines.append(f"Montant accordé : {euros(dossier.approved_amount)}.")
    lines.append("La lettre de décision vous est envoyée par courriel et reste disponible sur le site.")
    notify("decision", dossier=dossier, context={"body": "\n".join(lines)}, key=event)
    if transition in ("approve", "promote"):
        due = f" avant le {long_date(dossier.agreement_due)}" if dossier.agreement_due else ""
        body = [
            dossier_line(dossier),
            f"La convention attributive de l'aide est à accepter en ligne{due}.",
            "Sans acceptation dans ce délai, l'aide devient caduque.",
        ]
        notify(
            "convention_to_accept",
            dossier=dossier,
            context={"body": "\n".join(body), "link": _page("suivi:convention", dossier)},
            key=event,
        )


def _advance(dossier, event: str) -> None:
    paid = advance_paid_amount(dossier)
    lines = [dossier_line(dossier), "L'avance de l'aide a été versée à la commune."]
    if paid:
        lines.append(f"Montant versé : {euros(paid)}.")
    notify("advance_paid", dossier=dossier, context={"body": "\n".join(lines)}, key=event)
    if dossier.report_due:
        body = [
            dossier_line(dossier),
            "Le rapport final (bilan et dépenses réelles) est à déposer avant le "
            f"{long_date(dossier.report_due)}.",
        ]
        notify(
            "report_due",
            dossier=dossier,
            context={"body": "\n".join(body), "link": _page("suivi:report", dossier)},
            key=event,
        )


def _settled(dossier, target: str, event: str) -> None:
    settlement = Settlement.objects.filter(dossier_id=dossier.pk).first()
    balance = settlement.balance if settlement is not None else None
    if target == Status.RECOVERY_PENDING:
        body = [dossier_line(dossier), "Le fonds demande le reversement d'une partie de l'aide."]
        if balance is not None:
            body.append(f"Montant à reverser : {euros(-balance)}.")
        body.append("L'avis de reversement vous est envoyé par courriel ; vous pouvez y répondre en ligne.")
        notify("recovery_notice", dossier=dossier, context={"body": "\n".join(body)}, key=event)
    elif balance is not None and balance > Decimal("0"):
        body = [dossier_line(dossier), f"Le solde de l'aide a été versé : {euros(balance)}."]
        notify("balance_paid", dossier=dossier, context={"body": "\n".join(body)}, key=event)


def _staff(dossier, transition: str, by, event: str) -> None:
    """The people of the dossier's new staff queue (never the person who just acted)."""
    queue, people = worklist.queue_people(dossier)
    people = [user for user in people if by is None or user.pk != by.pk]
    if not people:
        return
    kind = STAFF_SPECIFIC.get(transition, "queue_entered")
    lines = [dossier_line(dossier)]
    if kind == "correction_answered":
        lines.append("La commune a corrigé son dossier et l'a renvoyé.")
    elif kind == "report_filed":
        lines.append("La commune a déposé son rapport final.")
    else:
        lines.append("Ce dossier attend désormais une action de votre part.")
    context = {"body": "\n".join(lines)}
    if queue == Role.INSTRUCTEUR:
        context["link"] = _page("instruction:dossier", dossier)
    notify(kind, dossier=dossier, users=people, context=context, key=event)


def on_transition(dossier, transition: str, by, target: str) -> None:
    """The notices of one transition of ``dossier`` (in its transaction)."""
    event = f"{dossier.pk}-{transition}-{last_event_seq(dossier)}"
    if transition == "submit":
        notify(
            "receipt",
            dossier=dossier,
            context={"body": f"{dossier_line(dossier)}\nVotre dossier est déposé ; le récépissé suit."},
            key=event,
        )
    elif transition == "request_corrections":
        _corrections(dossier, event)
    elif transition in DECISIONS:
        _decision(dossier, transition, event)
    elif transition == "pay_advance":
        _advance(dossier, event)
    elif transition == "settle":
        _settled(dossier, target, event)
    _staff(dossier, transition, by, event)


def on_dossier_transitioned(sender, *, dossier, transition, by=None, target="", batch=None, **kwargs):
    """Receiver of ``dossier_transitioned``; a chunk of ``perform_many`` is handled after the
    process moved (``batch.defer``: flushed in order, after ``workflows``'s own flush)."""
    if batch is not None:
        batch.defer("notifications", _flush, (dossier, transition, by, target))
        return
    on_transition(dossier, transition, by, target)


def _flush(items) -> None:
    for dossier, transition, by, target in items:
        on_transition(dossier, transition, by, target)


def register() -> None:
    dossier_transitioned.connect(on_dossier_transitioned, sender=Dossier, dispatch_uid="notifications.notify")
