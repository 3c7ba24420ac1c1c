"""The mayor's front office after submission: corrections, withdrawal, convention, final report,
timeline. Thin pages: read through ``fonds.dossiers.access``, act through ``services.perform``
(transitions) or ``fonds.suivi.services`` (the report draft).
"""

from __future__ import annotations

import json
import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods

from fonds import clock
from fonds.accounts.roles import sees_all_dossiers
from fonds.audit.models import AuditEvent
from fonds.depot.steps import BY_SLUG
from fonds.documents.models import GeneratedDocument
from fonds.dossiers import services
from fonds.dossiers.access import get_visible_or_404, visible_dossiers
from fonds.dossiers.models import Document, Dossier
from fonds.dossiers.states import Status
from fonds.formats import euros
from fonds.payments.hooks import renunciation_refusal
from fonds.privacy.access import may_see_minors_data

from . import forms as f
from .balance import actual_figures, balance_for_report
from .convention import current_convention, ensure_convention
from .models import FinalReport
from .report_dates import filing_opens, report_date_refusal
from .services import REPORT_FIELDS, can_file_report, planned_report, report_missing, save_report_draft

log = logging.getLogger(__name__)

#: roles that may read the signed participant list (minors' names) besides the commune's porteur
from fonds.privacy.access import MINORS_DATA_ROLES as PARTICIPANT_LIST_ROLES  # noqa: E402,F401

#: where each dossier field is edited in the draft builder (fonds/depot), by step
FIELD_STEPS = {
    "title": "project",
    "summary": "project",
    "objectives": "project",
    "start_date": "project",
    "end_date": "project",
    "activity_days": "project",
    "jumelage": "partnership",
    "partner": "partnership",
    "agreement_date": "partnership",
    "letter_of_intent": "partnership",
    "youth_ages": "participants",
    "leader_ages": "participants",
    "youth_fewer_opportunities": "participants",
    "youth_first_travel": "participants",
    "travel_mode": "travel",
    "low_carbon": "travel",
    "distance_km": "travel",
    "nights": "travel",
    "nights_hosted": "travel",
    "requested_amount": "budget",
    "budget": "budget",
    "budget_lines": "budget",
}
STEP_TITLES = {
    "project": "Le projet",
    "partnership": "Le partenariat",
    "participants": "Les participants",
    "travel": "Le voyage",
    "budget": "Le budget",
    "documents": "Les pièces justificatives",
}
#: the draft builder's own slugs, when it names its steps in French
STEP_ALIASES = {"project": "projet", "partnership": "partenariat", "travel": "voyage", "documents": "pieces"}
EXTRA_FIELD_LABELS = {
    "budget": "Budget (dépenses et recettes)",
    "budget_lines": "Budget (dépenses et recettes)",
    "partner": "Ville partenaire",
    "agreement_date": "Date de la convention de jumelage",
    "letter_of_intent": "Lettre d'intention",
}


def _dossier(request, pk) -> Dossier:
    return get_visible_or_404(
        request.user,
        pk,
        visible_dossiers(request.user).select_related("campaign", "commune", "jumelage__partner"),
    )


def _allowed(dossier, user) -> set[str]:
    return {a["name"] for a in services.available_transitions(dossier, user)}


def _step_url(pk: int, step: str) -> str | None:
    """The draft builder's page for ``step``, or None while it does not exist."""
    slug = step
    if step not in BY_SLUG and STEP_ALIASES.get(step) in BY_SLUG:
        slug = STEP_ALIASES[step]
    try:
        return reverse("depot:step", args=(pk, slug))
    except NoReverseMatch:
        return None


def _field_label(name: str) -> str:
    if name in EXTRA_FIELD_LABELS:
        return EXTRA_FIELD_LABELS[name]
    try:
        label = str(Dossier._meta.get_field(name).verbose_name)
    except Exception:
        return name
    return label[:1].upper() + label[1:]


def _errors_summary(*forms_or_formsets) -> list[dict]:
    """``[{"id", "label", "message"}]`` of every error, for the error summary at the top of a page."""
    out = []

    def of_form(form, prefix_label=""):
        for name, errors in form.errors.items():
            field = form[name] if name in form.fields else None
            for error in errors:
                label = f"{prefix_label}{field.label}" if field is not None else prefix_label.rstrip(" —")
                out.append(
                    {"id": field.auto_id if field is not None else "", "label": label, "message": error}
                )

    for item in forms_or_formsets:
        if item is None:
            continue
        if hasattr(item, "forms"):
            noun = getattr(item, "noun", "Ligne")
            for i, form in enumerate(item.forms, start=1):
                of_form(form, f"{noun} {i} — ")
            for error in item.non_form_errors():
                out.append({"id": "", "label": "", "message": error})
        else:
            of_form(item)
    return out


# ---- the dossier's front-office page ------------------------------------------------------------


@login_required
def dossier_home(request, pk):
    dossier = _dossier(request, pk)
    allowed = _allowed(dossier, request.user)
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
        "renunciation": _renunciation(dossier, request.user) if "renounce" in allowed else None,
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


# ---- 5. corrections -----------------------------------------------------------------------------


def _correction_items(dossier, request_):
    """The fields and documents to fix, each with where to fix it and whether it was done since."""
    changed_at: dict[str, object] = {}
    events = (
        AuditEvent.objects.filter(
            object_type="dossiers.dossier",
            object_id=str(dossier.pk),
            action="update_content",
            created_at__gte=request_.created_at,
        )
        .order_by("seq")
        .only("canonical", "created_at")
    )
    for event in events:
        payload = json.loads(event.canonical).get("payload", {})
        for name in payload.get("fields") or {}:
            changed_at[name] = event.created_at
        if "budget_lines" in payload:
            changed_at["budget"] = changed_at["budget_lines"] = event.created_at
    uploaded = {}
    for kind, at in dossier.documents.filter(uploaded_at__gte=request_.created_at).values_list(
        "kind", "uploaded_at"
    ):
        uploaded[kind] = max(at, uploaded.get(kind, at))
    kinds = dict(Document.Kind.choices)
    fields = []
    for name in request_.fields or []:
        step = FIELD_STEPS.get(name)
        fields.append(
            {
                "name": name,
                "label": _field_label(name),
                "step": STEP_TITLES.get(step, ""),
                "url": _step_url(dossier.pk, step) if step else None,
                "done_at": changed_at.get(name),
            }
        )
    documents_url = _step_url(dossier.pk, "documents")
    documents = [
        {"kind": kind, "label": kinds.get(kind, kind), "url": documents_url, "done_at": uploaded.get(kind)}
        for kind in request_.documents or []
    ]
    return fields, documents


@login_required
@require_http_methods(["GET", "POST"])
def corrections(request, pk):
    dossier = _dossier(request, pk)
    request_ = (
        dossier.correction_requests.select_related("requested_by").order_by("-created_at", "-pk").first()
    )
    if request_ is None:
        raise Http404("Aucune demande de corrections pour ce dossier.")
    allowed = "resubmit" in _allowed(dossier, request.user)
    form = f.ResubmitForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not allowed:
            messages.error(
                request, "Le dossier ne peut pas être renvoyé : il n'attend pas de corrections de votre part."
            )
            status = 409
        elif form.is_valid():
            try:
                services.perform(
                    dossier, "resubmit", by=request.user, motivation=form.cleaned_data["message"]
                )
            except services.TransitionRefused as refused:
                form.add_error(None, refused.message)
                status = 409 if refused.http_status == 409 else 400
            else:
                messages.success(
                    request,
                    "Votre dossier corrigé a été renvoyé à l'instructeur. Vous serez informé de la "
                    "suite par courriel.",
                )
                return redirect("suivi:dossier", pk=dossier.pk)
        else:
            status = 400
    fields, documents = _correction_items(dossier, request_)
    context = {
        "title": "Demande de corrections",
        "nav": "dossiers",
        "dossier": dossier,
        "request_": request_,
        "fields": fields,
        "documents": documents,
        "form": form,
        "allowed": allowed,
        "errors": _errors_summary(form) if form.is_bound else [],
        "editable": dossier.status == Status.CORRECTIONS_REQUESTED,
    }
    return render(request, "suivi/corrections.html", context, status=status)


# ---- 6. withdrawal --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def withdraw(request, pk):
    dossier = _dossier(request, pk)
    allowed = "withdraw" in _allowed(dossier, request.user)
    form = f.WithdrawForm(request.POST or None)
    status = 200 if allowed else 409
    if request.method == "POST" and allowed:
        if form.is_valid():
            try:
                services.perform(
                    dossier, "withdraw", by=request.user, motivation=form.cleaned_data["motivation"]
                )
            except services.TransitionRefused as refused:
                form.add_error(None, refused.message)
                status = 409 if refused.http_status == 409 else 400
            else:
                messages.success(request, f"Le dossier {dossier.reference} est retiré.")
                return redirect("suivi:dossier", pk=dossier.pk)
        else:
            status = 400
    context = {
        "title": "Retirer le dossier",
        "nav": "dossiers",
        "dossier": dossier,
        "form": form,
        "allowed": allowed,
        "errors": _errors_summary(form) if form.is_bound else [],
    }
    return render(request, "suivi/withdraw.html", context, status=status)


# ---- 6 bis. renunciation (until the advance is paid) ------------------------------------------


def _renunciation(dossier, user) -> tuple[bool, str]:
    """``(allowed, why not)``: the porteur may renounce while the dossier is approved or its
    convention accepted, until the advance leaves for the bank (``fonds.payments.hooks``)."""

    if "renounce" not in _allowed(dossier, user):
        return False, ""
    refusal = renunciation_refusal(dossier)
    return not refusal, refusal


@login_required
@require_http_methods(["GET", "POST"])
def renounce(request, pk):
    """The mayor renounces the award: motivation required, explicit confirmation; the money
    returns to the envelope (the waiting list is promoted) and the decision is final."""
    dossier = _dossier(request, pk)
    allowed, refusal = _renunciation(dossier, request.user)
    form = f.RenounceForm(request.POST or None)
    status = 200 if allowed else 409
    if request.method == "POST" and allowed:
        if form.is_valid():
            try:
                services.perform(
                    dossier, "renounce", by=request.user, motivation=form.cleaned_data["motivation"]
                )
            except services.TransitionRefused as refused:
                form.add_error(None, refused.message)
                status = refused.http_status
            else:
                messages.success(
                    request,
                    f"La renonciation est enregistrée : la subvention du dossier {dossier.reference} "
                    "revient à l'enveloppe du fonds. "
                    "Un accusé de réception vous est envoyé par courriel.",
                )
                return redirect("suivi:dossier", pk=dossier.pk)
        else:
            status = 400
    context = {
        "title": "Renoncer à la subvention",
        "nav": "dossiers",
        "dossier": dossier,
        "form": form,
        "allowed": allowed,
        "refusal": refusal,
        "errors": _errors_summary(form) if form.is_bound else [],
    }
    return render(request, "suivi/renounce.html", context, status=status)


# ---- 7. the convention -----------------------------------------------------------------------------


def _acceptance(dossier):
    event = (
        AuditEvent.objects.filter(
            object_type="dossiers.dossier", object_id=str(dossier.pk), action="accept_agreement"
        )
        .order_by("-seq")
        .first()
    )
    if event is None:
        return None
    data = json.loads(event.canonical)["payload"].get("data", {})
    return {
        "at": event.created_at,
        "name": data.get("signatory_name", ""),
        "sha256": data.get("document_sha256", ""),
    }


@login_required
@require_http_methods(["GET", "POST"])
def convention(request, pk):
    dossier = _dossier(request, pk)
    if dossier.approved_amount is None or dossier.status in (
        Status.IN_COMMITTEE,
        Status.WAITLISTED,
        Status.REJECTED,
    ):
        raise Http404("Pas de convention pour ce dossier.")
    allowed = "accept_agreement" in _allowed(dossier, request.user)
    document, failure = None, ""
    try:
        document = (
            ensure_convention(dossier) if dossier.status == Status.APPROVED else current_convention(dossier)
        )
    except Exception:  # WeasyPrint or storage failure: say so, never a 500 for the mayor
        log.exception("convention du dossier %s : génération impossible", dossier.pk)
        failure = (
            "La convention n'a pas pu être établie pour le moment. Réessayez dans quelques minutes ; si le "
            "problème persiste, contactez le fonds."
        )
    initial = {"document_sha256": document.sha256 if document else ""}  # the name is typed, never prefilled
    form = f.AcceptAgreementForm(request.POST or None, initial=initial)
    status, refusal = 200, ""
    if request.method == "POST":
        if not allowed or document is None:
            messages.error(
                request,
                "La convention ne peut pas être acceptée : le dossier n'attend pas votre acceptation.",
            )
            status = 409
        elif form.is_valid():
            data = {
                "signatory_name": form.cleaned_data["signatory_name"],
                "document_sha256": form.cleaned_data["document_sha256"],
            }
            try:
                services.perform(dossier, "accept_agreement", by=request.user, data=data)
            except services.TransitionRefused as refused:
                # shown again with the convention in force (its hash), the name kept, the box to tick again
                refusal = refused.message
                form = f.AcceptAgreementForm(initial={**initial, "signatory_name": data["signatory_name"]})
                status = 409 if refused.http_status == 409 else 400
            else:
                messages.success(
                    request,
                    "Vous avez accepté la convention au nom de la commune. L'avance sera versée "
                    "prochainement.",
                )
                return redirect("suivi:convention", pk=dossier.pk)
        else:
            status = 400
    errors = (
        [{"id": "", "label": "", "message": refusal}]
        if refusal
        else _errors_summary(form)
        if form.is_bound
        else []
    )
    context = {
        "title": "Convention attributive",
        "nav": "dossiers",
        "dossier": dossier,
        "document": document,
        "failure": failure,
        "form": form,
        "allowed": allowed and document is not None,
        "errors": errors,
        "acceptance": _acceptance(dossier) if dossier.status != Status.APPROVED else None,
    }
    return render(request, "suivi/convention.html", context, status=status)


def _pdf_response(file, *, filename: str, download: bool) -> FileResponse:
    response = FileResponse(
        file.open("rb"), content_type="application/pdf", as_attachment=download, filename=filename
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@xframe_options_sameorigin  # shown inline in the convention page
def convention_pdf(request, pk):
    dossier = _dossier(request, pk)
    if dossier.approved_amount is None:
        raise Http404("Pas de convention pour ce dossier.")
    document = (
        ensure_convention(dossier) if dossier.status == Status.APPROVED else current_convention(dossier)
    )
    if document is None:
        raise Http404("Convention introuvable.")
    return _pdf_response(
        document.file,
        filename=f"convention-{dossier.reference}.pdf",
        download=bool(request.GET.get("telecharger")),
    )


@login_required
@xframe_options_sameorigin
def generated_document(request, pk, document_pk):
    """A letter or PDF the fund generated for this dossier, to whoever may see the dossier."""
    dossier = _dossier(request, pk)
    document = GeneratedDocument.objects.filter(dossier=dossier, pk=document_pk).first()
    if document is None:
        raise Http404("Document introuvable.")
    return _pdf_response(
        document.file,
        filename=f"{document.kind}-{dossier.reference}.pdf",
        download=bool(request.GET.get("telecharger")),
    )


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
    dossier = _dossier(request, pk)
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
    errors = _errors_summary(form, exp, inc) if form.is_bound else []
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
        "can_download_list": report_ is not None and _may_read_participant_list(request.user, dossier),
        "filing_opens": filing_opens(dossier, report_),
        "date_refusal": report_date_refusal(dossier, report_) if editable else None,
    }
    return render(request, "suivi/report.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def report_submit(request, pk):
    dossier = _dossier(request, pk)
    report_ = FinalReport.objects.filter(dossier=dossier).prefetch_related("lines").first()
    if report_ is None:
        messages.error(request, "Remplissez d'abord le rapport final.")
        return redirect("suivi:report", pk=dossier.pk)
    allowed = "submit_report" in _allowed(dossier, request.user)
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
    errors = _errors_summary(form) if form.is_bound else []
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


def _may_read_participant_list(user, dossier) -> bool:
    """The porteur of the commune (the dossier is visible to them) and the staff roles that need it."""

    return may_see_minors_data(user, dossier)


@login_required
def participant_list(request, pk):
    """The signed participant list names minors: visible only to the roles that need it."""
    dossier = _dossier(request, pk)
    if not _may_read_participant_list(request.user, dossier):
        raise PermissionDenied(
            "La liste des participants n'est accessible qu'à la commune et aux services du fonds qui "
            "en ont besoin."
        )
    report_ = FinalReport.objects.filter(dossier=dossier).first()
    if report_ is None or not report_.participant_list:
        raise Http404("Aucune liste des participants déposée.")
    response = FileResponse(
        report_.participant_list.open("rb"),
        content_type="application/pdf",
        as_attachment=True,
        filename=f"liste-participants-{dossier.reference}.pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


# ---- 9. the timeline ------------------------------------------------------------------------------------


def _euros(value) -> str:
    try:
        return euros(value)
    except Exception:
        return f"{value} €"


def _event_details(action: str, payload: dict, documents: dict, generated: dict, dossier_pk: int) -> dict:
    """What a row of the timeline says beyond its label: a text, a link, a fingerprint."""
    data = payload.get("data") or {}
    out = {"text": "", "link": None, "link_text": "", "sha256": ""}
    motivation = payload.get("motivation") or ""
    if action == "request_corrections":
        out["text"] = motivation
    elif action == "accept_agreement":
        if data.get("signatory_name"):
            out["text"] = f"Acceptée au nom de la commune par {data['signatory_name']}."
        out["sha256"] = data.get("document_sha256", "")
    elif action == "submit_report":
        if data.get("balance") is not None:
            out["text"] = f"Solde calculé : {_euros(data['balance'])}."
        out["sha256"] = data.get("report_sha256", "")
    elif action == "approve" or action == "promote":
        if data.get("amount") is not None:
            out["text"] = f"Montant accordé : {_euros(data['amount'])}."
        out["text"] = " ".join(x for x in (out["text"], motivation) if x)
    elif action in ("document_uploaded",):
        doc = documents.get(payload.get("document"))
        out["text"] = (
            f"{dict(Document.Kind.choices).get(payload.get('kind'), payload.get('kind', ''))} : "
            f"{payload.get('name', '')}"
        )
        out["sha256"] = payload.get("sha256", "")
        if doc is not None:
            out["link"] = reverse("dossier-document", args=[dossier_pk, doc.pk])
            out["link_text"] = "Télécharger la pièce"
    elif action.endswith("_generated"):  # convention_generated, and the other stages' generated letters
        doc = generated.get(payload.get("document"))
        out["sha256"] = payload.get("sha256", "")
        if doc is not None:
            out["link"] = reverse("suivi:generated-document", args=[dossier_pk, doc.pk])
            out["link_text"] = "Télécharger le document"
    elif motivation:
        out["text"] = motivation
    return out


#: besides the transitions and the generated letters ("…_generated"), the events a porteur sees
#: in its timeline; the fund's internal work (scores, notes, conflict declarations…) is for staff
PORTEUR_EVENTS = frozenset(
    {
        "create_draft",
        "update_content",
        "document_uploaded",
        "eligibility_checked",
        "final_report_saved",
        "message_sent",
    }
)


@login_required
def timeline(request, pk):
    dossier = _dossier(request, pk)
    documents = {d.pk: d for d in Document.objects.filter(dossier=dossier).order_by("uploaded_at", "pk")}
    generated = {
        d.pk: d for d in GeneratedDocument.objects.filter(dossier=dossier).order_by("created_at", "pk")
    }
    events = AuditEvent.objects.filter(object_type="dossiers.dossier", object_id=str(dossier.pk))
    if not sees_all_dossiers(request.user):
        events = events.filter(
            Q(action__in=PORTEUR_EVENTS | set(services.TRANSITIONS)) | Q(action__endswith="_generated")
        )
    rows = []
    for event in events.order_by("seq").only("seq", "created_at", "action", "actor_role", "canonical"):
        payload = json.loads(event.canonical).get("payload", {})
        rows.append(
            {"event": event, **_event_details(event.action, payload, documents, generated, dossier.pk)}
        )
    report_ = (
        FinalReport.objects.filter(dossier=dossier)
        .only("pk", "participant_list", "participant_list_sha256", "updated_at", "dossier_id")
        .first()
    )
    context = {
        "title": f"Historique du dossier {dossier.reference}",
        "nav": "dossiers",
        "dossier": dossier,
        "rows": rows,
        "documents": list(documents.values()),
        "generated": list(generated.values()),
        "participant_list": report_
        if report_ is not None
        and report_.participant_list
        and _may_read_participant_list(request.user, dossier)
        else None,
    }
    return render(request, "suivi/timeline.html", context)
