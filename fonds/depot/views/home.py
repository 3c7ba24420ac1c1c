"""The porteur's « Mes dossiers » page: their dossiers, the action expected from them and its deadline."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from fonds import clock
from fonds.accounts.roles import is_expert_only
from fonds.dossiers.access import can_create, visible_dossiers
from fonds.dossiers.states import Status
from fonds.eligibilite.gate import gates_for
from fonds.referentiel.models import Campaign
from fonds.ui import worklist

#: what a porteur is expected to do, by the status of a dossier waiting for them
NEXT_ACTIONS = {
    Status.DRAFT: "Compléter puis déposer le dossier",
    Status.CORRECTIONS_REQUESTED: "Répondre à la demande de corrections",
    Status.APPROVED: "Accepter la convention",
    Status.ADVANCE_PAID: "Déposer le rapport final",
}
#: the page where the porteur does it (the corrections page shows the request and resends)
ACTION_PAGES = {
    Status.CORRECTIONS_REQUESTED: "suivi:corrections",
    Status.APPROVED: "suivi:convention",
    Status.ADVANCE_PAID: "suivi:report",
}
WAITING = {
    Status.SUBMITTED: "Aucune : le dossier attend son instruction",
    Status.IN_INSTRUCTION: "Aucune : le dossier est en cours d'instruction",
    Status.INSTRUCTED: "Aucune : le dossier attend le comité",
    Status.IN_COMMITTEE: "Aucune : le dossier est examiné par le comité",
    Status.WAITLISTED: "Aucune : le dossier est en liste complémentaire",
    Status.AGREEMENT_SIGNED: "Aucune : l'avance va être versée",
    Status.REPORT_SUBMITTED: "Aucune : le solde est en cours de calcul",
    Status.RECOVERY_PENDING: "Consulter l'ordre de reversement",
}


# ---- Mes dossiers ------------------------------------------------------------------------------


@login_required
def my_dossiers(request):
    """The porteur's dossiers with status, next action expected from them and its deadline.

    Constant number of queries: the dossiers (campaign joined), the porteur's open tasks (one
    query, ``fonds.ui.worklist.open_tasks_for``), the open campaigns, and the dossiers that stop
    the commune from starting another one in them (E7, ``fonds.eligibilite.gate``): « Nouveau
    dossier » is offered only where none blocks; elsewhere the page says which dossier blocks.
    """
    if not can_create(request.user):  # an invited expert lands on their requests (issue 20)
        return redirect("avis:requests" if is_expert_only(request.user) else "dossier-list")

    now = clock.now()
    dossiers = list(
        visible_dossiers(request.user)
        .select_related("campaign")
        .only(
            "pk",
            "reference",
            "title",
            "status",
            "requested_amount",
            "created_at",
            "updated_at",
            "corrections_due",
            "agreement_due",
            "report_due",
            "campaign__name",
            "campaign__closes_at",
            "campaign__opens_at",
            "commune_id",
        )
        .order_by("-created_at", "-id")[:500]
    )
    tasks = {}
    for task in worklist.open_tasks_for(request.user, queue="porteur"):
        tasks[task.process.dossierprocess.dossier_id] = task
    rows = []
    for d in dossiers:
        action, deadline, url = None, None, reverse("dossier-detail", args=[d.pk])
        if d.status == Status.DRAFT:
            action, deadline, url = (
                NEXT_ACTIONS[Status.DRAFT],
                d.campaign.closes_at,
                reverse("depot:resume", args=[d.pk]),
            )
        elif d.pk in tasks:
            action = NEXT_ACTIONS.get(tasks[d.pk].flow_task.waits_in, "Agir sur le dossier")
            if d.status in ACTION_PAGES:
                url = reverse(ACTION_PAGES[d.status], args=[d.pk])
            deadline = {
                Status.CORRECTIONS_REQUESTED: d.corrections_due,
                Status.APPROVED: d.agreement_due,
                Status.ADVANCE_PAID: d.report_due,
            }.get(d.status)
        overdue = deadline is not None and (
            deadline < now if isinstance(deadline, dt.datetime) else deadline < timezone.localdate(now)
        )
        rows.append(
            {
                "dossier": d,
                "action": action,
                "waiting": WAITING.get(d.status, "Aucune : dossier terminé"),
                "deadline": deadline,
                "overdue": overdue,
                "url": url,
            }
        )
    campaigns = list(
        Campaign.objects.filter(ready_to_open=True, opens_at__lte=now, closes_at__gte=now).order_by(
            "closes_at"
        )
    )
    gates = gates_for(request.user.commune_id, campaigns)  # E7 before any step: one query
    return render(
        request,
        "depot/my_dossiers.html",
        {
            "title": "Mes dossiers",
            "nav": "dossiers",
            "rows": rows,
            "campaigns": campaigns,
            "gates": gates,
            "can_start": [g for g in gates if g.allowed],
            "commune": request.user.commune,
        },
    )
