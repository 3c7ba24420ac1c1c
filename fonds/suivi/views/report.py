"""The final report: its draft, its filing and the signed participant list."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from fonds import clock
from fonds.dossiers import services
from fonds.privacy.access import may_see_minors_data
from fonds.ui.files import private_file
from fonds.ui.forms import errors_summary

from .. import forms as f
from ..balance import actual_figures, balance_for_report
from ..models import FinalReport
from ..report_dates import filing_opens, report_date_refusal
from ..services import REPORT_FIELDS, can_file_report, planned_report, report_missing, save_report_draft
from .common import allowed_actions, dossier_of

# ---- 8. the final report -----------------------------------------------------------------------------


def _report_initial(dossier, report):
    """The report's saved values, or — for a first draft — the planned figures to adjust."""
    if report is None:
        initial, lines = planned_report(dossier)
        today = clock.today()
        for name in (
            "start_date",
            "end_date",
        ):  # actual dates are never in the future: not prefilled before the trip
            if initial.get(name) and initial[name] > today:
                initial[name] = None
    else:
        initial = {name: getattr(report, name) for name in REPORT_FIELDS}
        lines = [
            {
                "kind": line.kind,
                "category": line.category,
                "label": line.label,
                "amount": line.amount,
                "eligible": line.eligible,
            }
            for line in report.lines.all()
        ]
    expenses = [
        {k: line[k] for k in ("category", "label", "amount", "eligible")}
        for line in lines
        if line["kind"] == "expense"
    ]
    incomes = [
        {k: line[k] for k in ("category", "label", "amount")} for line in lines if line["kind"] == "income"
    ]
    return initial, expenses, incomes


def _formsets(data, expenses, incomes):
    exp = f.line_formset(f.ExpenseLineForm, data=data, initial=expenses, prefix="depenses")
    inc = f.line_formset(f.IncomeLineForm, data=data, initial=incomes, prefix="recettes")
    exp.noun, inc.noun = "Dépense", "Recette"
    return exp, inc


@login_required
@require_http_methods(["GET", "POST"])
def report(request, pk):
    dossier = dossier_of(request, pk)
    report_ = FinalReport.objects.filter(dossier=dossier).prefetch_related("lines").first()
    editable = can_file_report(request.user, dossier) and (report_ is None or report_.submitted_at is None)
    if not editable and report_ is None:
        raise Http404("Pas de rapport final pour ce dossier.")
    initial, expenses, incomes = _report_initial(dossier, report_)
    status = 200
    if request.method == "POST":
        if not editable:
            raise PermissionDenied("Le rapport final n'est pas modifiable.")
        form = f.FinalReportForm(request.POST, request.FILES)
        exp, inc = _formsets(request.POST, expenses, incomes)
        if form.is_valid() & exp.is_valid() & inc.is_valid():
            data = form.cleaned_data
            fields = {
                name: data[name]
                for name in ("start_date", "end_date", "youth_ages", "leader_ages", "activity_report")
            }
            fields["nights"], fields["nights_hosted"] = data["nights"] or 0, data["nights_hosted"] or 0
            lines = [
                line for fs in (exp, inc) for line in (form_.line() for form_ in fs.forms) if line is not None
            ]
            upload = data.get("participant_list")
            try:
                save_report_draft(
                    dossier,
                    by=request.user,
                    fields=fields,
                    lines=lines,
                    participant_list=(upload.name, upload.read()) if upload else None,
                )
            except ValidationError as exc:
                for name, errors in (
                    exc.message_dict if hasattr(exc, "error_dict") else {"participant_list": exc.messages}
                ).items():
                    for error in errors:
                        form.add_error(name if name in form.fields else None, error)
            except PermissionDenied as exc:
                messages.error(request, str(exc))
                return redirect("suivi:report", pk=dossier.pk)
            else:
                messages.success(
                    request,
                    "Brouillon du rapport final enregistré. Vérifiez le solde ci-dessous avant de "
                    "déposer le rapport.",
                )
                return redirect(reverse("suivi:report", args=[dossier.pk]) + "#solde")
        status = 400
    else:
        form = f.FinalReportForm(initial=initial)
        exp, inc = _formsets(None, expenses, incomes)
    errors = errors_summary(form, exp, inc) if form.is_bound else []
    if errors and request.FILES.get("participant_list"):
        errors.append(
            {
                "id": "id_participant_list",
                "label": "Liste des participants signée (PDF)",
                "message": "Le fichier choisi n'a pas été enregistré à cause des erreurs ci-dessus : "
                "choisissez-le à nouveau.",
            }
        )
    context = {
        "title": "Rapport final",
        "nav": "dossiers",
        "dossier": dossier,
        "report": report_,
        "editable": editable,
        "form": form,
        "expenses": exp,
        "incomes": inc,
        "errors": errors,
        "balance": balance_for_report(report_, dossier) if report_ is not None else None,
        "figures": actual_figures(report_) if report_ is not None else None,
        "missing": report_missing(report_) if report_ is not None else [],
        "can_download_list": report_ is not None and may_read_participant_list(request.user, dossier),
        "filing_opens": filing_opens(dossier, report_),
        "date_refusal": report_date_refusal(dossier, report_) if editable else None,
    }
    return render(request, "suivi/report.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def report_submit(request, pk):
    dossier = dossier_of(request, pk)
    report_ = FinalReport.objects.filter(dossier=dossier).prefetch_related("lines").first()
    if report_ is None:
        messages.error(request, "Remplissez d'abord le rapport final.")
        return redirect("suivi:report", pk=dossier.pk)
    allowed = "submit_report" in allowed_actions(dossier, request.user)
    form = f.ConfirmReportForm(request.POST or None)
    status = 200 if allowed else 409
    refusal = ""
    if request.method == "POST" and allowed:
        if form.is_valid():
            try:
                services.perform(dossier, "submit_report", by=request.user)
            except services.TransitionRefused as refused:
                refusal = refused.message
                status = 409 if refused.http_status == 409 else 400
            else:
                messages.success(
                    request, "Votre rapport final est déposé. Le fonds l'examine puis vous informe du solde."
                )
                return redirect("suivi:dossier", pk=dossier.pk)
        else:
            status = 400
    errors = errors_summary(form) if form.is_bound else []
    if refusal:
        errors = [{"id": "", "label": "", "message": refusal}]
    context = {
        "title": "Déposer le rapport final",
        "nav": "dossiers",
        "dossier": dossier,
        "report": report_,
        "form": form,
        "allowed": allowed,
        "errors": errors,
        "missing": report_missing(report_),
        "balance": balance_for_report(report_, dossier),
        "figures": actual_figures(report_),
        "date_refusal": report_date_refusal(dossier, report_) if allowed else None,
    }
    return render(request, "suivi/report_submit.html", context, status=status)


def may_read_participant_list(user, dossier) -> bool:
    """The porteur of the commune (the dossier is visible to them) and the staff roles that need it."""

    return may_see_minors_data(user, dossier)


@login_required
def participant_list(request, pk):
    """The signed participant list names minors: visible only to the roles that need it."""
    dossier = dossier_of(request, pk)
    if not may_read_participant_list(request.user, dossier):
        raise PermissionDenied(
            "La liste des participants n'est accessible qu'à la commune et aux services du fonds qui "
            "en ont besoin."
        )
    report_ = FinalReport.objects.filter(dossier=dossier).first()
    if report_ is None or not report_.participant_list:
        raise Http404("Aucune liste des participants déposée.")
    return private_file(
        report_.participant_list,
        content_type="application/pdf",
        as_attachment=True,
        filename=f"liste-participants-{dossier.reference}.pdf",
    )
