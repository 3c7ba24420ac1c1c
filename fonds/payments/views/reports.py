"""Finance pages of the final reports: acceptance with the balance computed, re-issue of a
cancelled balance order; the open recoveries."""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.http import Http404
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from fonds import clock
from fonds.dossiers.access import get_visible_or_404, visible_dossiers
from fonds.dossiers.states import Status
from fonds.formats import euros
from fonds.suivi.balance import actual_figures
from fonds.suivi.models import FinalReport
from fonds.suivi.report_dates import TOO_EARLY, report_date_refusal

from .. import queries
from ..forms import ConfirmForm, MotivatedForm
from ..models import OrderKind, OrderState, PaymentOrder, Settlement
from ..settlement import accept_final_report, can_reissue_balance, dossier_balance, reissue_balance_order
from .common import Page, confirmed, finance_area, order_url, posted, query_without, render_page


@finance_area
@require_GET
def reports(request):
    page = Page(queries.reports_to_accept(), request.GET)
    querystring = query_without(request.GET)
    recoveries = list(queries.open_recoveries()[:200])
    return render_page(
        request,
        "payments/reports.html",
        {
            "title": "Rapports finals et reversements",
            "section": "reports",
            "page": page,
            "recoveries": recoveries,
            "now": clock.now(),
            "page_links": page.links(querystring),
            "neighbours": page.neighbour_urls(querystring),
        },
    )


def _balance_outcome(settlement) -> str:
    """What the accepted balance led to (French, for the success message)."""
    if settlement.balance > 0:
        return f"un ordre de paiement du solde de {euros(settlement.balance)} est créé."
    if settlement.balance == 0:
        return "le solde est nul : le dossier est soldé."
    return (
        f"un ordre de reversement de {euros(-settlement.balance)} est émis ; le maire est informé et peut "
        "présenter ses observations."
    )


@finance_area
@require_http_methods(["GET", "POST"])
def report_accept(request, pk):
    dossier = get_visible_or_404(
        request.user, pk, visible_dossiers(request.user).select_related("commune", "campaign")
    )
    report = (
        FinalReport.objects.prefetch_related("lines")
        .filter(dossier=dossier, submitted_at__isnull=False)
        .first()
    )
    settlement = Settlement.objects.filter(dossier=dossier).first()
    if report is None:
        raise Http404("Aucun rapport final déposé pour ce dossier.")
    allowed = dossier.status == Status.REPORT_SUBMITTED and settlement is None
    date_refusal = report_date_refusal(dossier, report, done="validé") if allowed else None
    balance = dossier_balance(dossier, report) if settlement is None else None
    form = ConfirmForm(
        posted(request), label="J'ai vérifié le rapport final et le calcul du solde : je valide le rapport"
    )
    if request.method == "POST" and not allowed:
        form.add_error(
            None,
            "Ce rapport final ne peut pas être validé : "
            + (
                "il est déjà validé." if settlement else f"le dossier est « {dossier.get_status_display()} »."
            ),
        )
        status = 409
    elif request.method == "POST" and date_refusal is not None:
        form.add_error(None, date_refusal.message)  # not before the project's end (the service refuses too)
        status = 409 if date_refusal.kind == TOO_EARLY else 400
    else:
        done, status = confirmed(
            request,
            form,
            lambda: accept_final_report(dossier, request.user),
            then=reverse("payments:report", args=[dossier.pk]),
            success=lambda accepted: (
                f"Rapport final du dossier {dossier.reference} validé : {_balance_outcome(accepted)}"
            ),
        )
        if done:
            return done
    return render_page(
        request,
        "payments/report.html",
        {
            "title": f"Rapport final — {dossier.reference}",
            "section": "reports",
            "dossier": dossier,
            "report": report,
            "figures": actual_figures(report),
            "balance": balance,
            "settlement": settlement,
            "recovery_amount": -balance.balance if balance is not None and balance.balance < 0 else None,
            "form": form,
            "allowed": allowed and date_refusal is None and request.can_pay,
            "date_refusal": date_refusal,
            "orders": list(PaymentOrder.objects.filter(dossier=dossier).order_by("created_at", "pk")),
            "can_reissue_balance": request.can_pay
            and settlement is not None
            and can_reissue_balance(dossier, settlement),
        },
        status=status,
    )


def _reissued(order) -> str:
    return (
        f"Nouvel ordre de solde {order.reference} émis ({euros(order.amount)}) : "
        f"« {order.get_state_display()} »."
    )


@finance_area
@require_http_methods(["GET", "POST"])
def balance_reissue(request, pk):
    """A new balance order for a dossier whose balance order was cancelled (confirmation page,
    motivation required): the accepted report's balance, re-issued."""
    dossier = get_visible_or_404(
        request.user, pk, visible_dossiers(request.user).select_related("commune", "campaign")
    )
    settlement = Settlement.objects.filter(dossier=dossier).first()
    allowed = can_reissue_balance(dossier, settlement)
    form = MotivatedForm(
        posted(request),
        needs_motivation=True,
        label="Je confirme l'émission d'un nouvel ordre de paiement du solde",
    )
    status = 200 if allowed else 409
    if not allowed:
        messages.error(
            request,
            f"Aucun ordre de solde à réémettre pour le dossier {dossier.reference} : il faut un rapport "
            "final validé avec un solde positif, un dossier « Rapport final déposé » et un ordre de "
            "solde annulé.",
        )
    else:
        reissue = partial(reissue_balance_order, dossier, by=request.user)
        done, status = confirmed(
            request,
            form,
            lambda: reissue(motivation=form.cleaned_data["motivation"]),
            then=order_url,
            success=_reissued,
        )
        if done:
            return done
    return render_page(
        request,
        "payments/balance_reissue.html",
        {
            "title": f"Réémettre l'ordre de solde — {dossier.reference}",
            "section": "reports",
            "dossier": dossier,
            "settlement": settlement,
            "form": form,
            "allowed": allowed and request.can_pay,
            "cancelled": list(
                PaymentOrder.objects.filter(
                    dossier=dossier, kind=OrderKind.BALANCE, state=OrderState.CANCELLED
                ).order_by("created_at", "pk")
            ),
        },
        status=status,
    )
