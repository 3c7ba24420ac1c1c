"""The dossier's front-office page: where it stands and what the porteur is expected to do next."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse

from fonds import clock
from fonds.dossiers.states import Status

from ..models import FinalReport
from ..report_dates import filing_opens
from .acts import renunciation_state
from .common import allowed_actions, dossier_of

# ---- the dossier's front-office page ------------------------------------------------------------


@login_required
def dossier_home(request, pk):
    dossier = dossier_of(request, pk)
    allowed = allowed_actions(dossier, request.user)
    report = FinalReport.objects.filter(dossier=dossier).first()
    steps = []
    if "resubmit" in allowed:
        steps.append(
            {
                "title": "Corriger le dossier",
                "text": "L'instructeur vous demande des corrections.",
                "due": dossier.corrections_due,
                "url": reverse("suivi:corrections", args=[dossier.pk]),
                "action": "Voir la demande de corrections",
            }
        )
    if "accept_agreement" in allowed:
        steps.append(
            {
                "title": "Accepter la convention",
                "text": (
                    "La subvention est accordée : lisez la convention et acceptez-la au nom de la commune."
                ),
                "due": dossier.agreement_due,
                "url": reverse("suivi:convention", args=[dossier.pk]),
                "action": "Lire et accepter la convention",
            }
        )
    if "submit_report" in allowed:
        steps.append(
            {
                "title": "Déposer le rapport final",
                "text": _report_step_text(dossier, report),
                "due": dossier.report_due,
                "url": reverse("suivi:report", args=[dossier.pk]),
                "action": "Remplir le rapport final",
            }
        )
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
