"""The dossier's front-office page: where it stands and what the porteur is expected to do next."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse

from fonds import clock
from fonds.conversation import services as conversation
from fonds.dossiers.states import Status

from ..models import FinalReport
from ..report_dates import filing_opens
from .acts import renunciation_state
from .common import allowed_actions, dossier_of

# ---- the dossier's front-office page ------------------------------------------------------------


#: what the porteur may be expected to do: (transition, title, text (None: the report's), due date
#: field, page, button)
NEXT_STEPS = [
    (
        "resubmit",
        "Corriger le dossier",
        "L'instructeur vous demande des corrections.",
        "corrections_due",
        "suivi:corrections",
        "Voir la demande de corrections",
    ),
    (
        "accept_agreement",
        "Accepter la convention",
        "La subvention est accordée : lisez la convention et acceptez-la au nom de la commune.",
        "agreement_due",
        "suivi:convention",
        "Lire et accepter la convention",
    ),
    (
        "submit_report",
        "Déposer le rapport final",
        None,
        "report_due",
        "suivi:report",
        "Remplir le rapport final",
    ),
]


@login_required
def dossier_home(request, pk):
    dossier = dossier_of(request, pk)
    allowed = allowed_actions(dossier, request.user)
    report = FinalReport.objects.filter(dossier=dossier).first()
    steps = [
        {
            "title": title,
            "text": _report_step_text(dossier, report) if text is None else text,
            "due": getattr(dossier, due),
            "url": reverse(page, args=[dossier.pk]),
            "action": action,
        }
        for transition, title, text, due, page, action in NEXT_STEPS
        if transition in allowed
    ]
    context = {
        "title": f"Suivi du dossier {dossier.reference}",
        "nav": "dossiers",
        "dossier": dossier,
        "steps": steps,
        "can_withdraw": "withdraw" in allowed,
        "renunciation": renunciation_state(dossier, request.user) if "renounce" in allowed else None,
        "has_convention": dossier.approved_amount is not None
        and dossier.status not in (Status.WAITLISTED, Status.IN_COMMITTEE),
        "report": report,
        "has_corrections": dossier.correction_requests.exists(),
        "unread": conversation.unread_count(request.user, dossier),
        "may_write": conversation.may_write(request.user, dossier),
        "may_read_messages": conversation.may_read(request.user, dossier),
    }
    return render(request, "suivi/dossier.html", context)


def _report_step_text(dossier, report) -> str:
    opens = filing_opens(dossier, report)
    if opens is not None and clock.today() < opens:
        return (
            "Une fois le projet réalisé, remplissez le rapport final : il pourra être déposé à partir du "
            f"{opens:%d/%m/%Y}, dernier jour du projet."
        )
    return "Le projet est terminé : remplissez et déposez le rapport final."
