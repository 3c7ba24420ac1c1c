"""The mayor's front office (thin DSFR pages): "Mes dossiers", the six steps of a draft, the
check page, the submission and the receipt.

Reads go through ``fonds.dossiers.access`` (another commune's dossier is a 404), content edits
through ``fonds.dossiers.editing`` / ``fonds.dossiers.documents`` / ``fonds.depot.services``
(audited), the submission through ``fonds.dossiers.services.perform``.

Autosave: a step's form POSTed with the header ``X-Autosave: 1`` (``static/depot/depot.js``)
is saved exactly like a normal submission, but answered in JSON (``{"saved": …, "errors": …}``,
422 when refused) instead of a redirect.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from fonds import clock
from fonds.documents.models import GeneratedDocument
from fonds.dossiers import services as dossier_services
from fonds.dossiers.access import can_create, can_edit, get_visible_or_404, visible_dossiers
from fonds.dossiers.documents import add_document
from fonds.dossiers.editing import create_draft, update_content
from fonds.dossiers.models import Document
from fonds.dossiers.states import Status
from fonds.eligibilite.engine import run_checks
from fonds.eligibilite.gate import gates_for, new_dossier_gate
from fonds.eligibilite.models import Verdict
from fonds.instruction.amount import dossier_distance_km, grant_for_dossier
from fonds.referentiel.models import Campaign
from workflows import queues

from . import forms as f
from . import steps as st
from .receipts import submission_record
from .services import save_partnership

AUTOSAVE_HEADER = "HTTP_X_AUTOSAVE"

#: what a porteur is expected to do, by the status of a dossier waiting for them
NEXT_ACTIONS = {
    Status.DRAFT: "Compléter puis déposer le dossier",
    Status.CORRECTIONS_REQUESTED: "Répondre à la demande de corrections",
    Status.APPROVED: "Accepter la convention",
    Status.ADVANCE_PAID: "Déposer le rapport final",
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


def _is_autosave(request) -> bool:
    return request.META.get(AUTOSAVE_HEADER) == "1"


def _porteur_only(request):
    if not can_create(request.user):
        raise PermissionDenied("Cette page est réservée aux porteurs de projet rattachés à une commune.")


# ---- Mes dossiers ------------------------------------------------------------------------------


@login_required
def my_dossiers(request):
    """The porteur's dossiers with status, next action expected from them and its deadline.

    Constant number of queries: the dossiers (campaign joined), the porteur's open tasks (one
    query, ``workflows.queues.open_tasks_for``), the open campaigns, and the dossiers that stop
    the commune from starting another one in them (E7, ``fonds.eligibilite.gate``): « Nouveau
    dossier » is offered only where none blocks; elsewhere the page says which dossier blocks.
    """
    if not can_create(request.user):
        return redirect("dossier-list")

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
    for task in queues.open_tasks_for(request.user, queue="porteur"):
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
    campaigns = list(Campaign.objects.filter(opens_at__lte=now, closes_at__gte=now).order_by("closes_at"))
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


# ---- the steps ---------------------------------------------------------------------------------


def _guard_editable(request, pk, *, prefetch=True):
    """The dossier if the porteur may edit it, else a redirect to its page with an explanation.
    ``prefetch=False``: without its budget lines and documents (read when needed, if ever)."""
    _porteur_only(request)
    queryset = st.dossier_for_steps(visible_dossiers(request.user))
    if not prefetch:
        queryset = queryset.prefetch_related(None)
    dossier = get_visible_or_404(request.user, pk, queryset)
    if not can_edit(request.user, dossier):
        messages.info(
            request,
            f"Le dossier {dossier.reference} est « {dossier.get_status_display()} » : il n'est plus "
            "modifiable.",
        )
        return None, redirect("dossier-detail", pk=dossier.pk)
    return dossier, None


@login_required
def resume(request, pk):
    """Coming back to a draft lands on its first incomplete step (the check page when all are complete)."""
    dossier, refused = _guard_editable(request, pk)
    if refused:
        return refused
    step = st.first_incomplete(dossier)
    if step is None:
        return redirect("depot:check", pk=dossier.pk)
    return redirect("depot:step", pk=dossier.pk, step=step.slug)


def _errors_of(form_or_forms) -> list[dict]:
    """``[{"id", "label", "message"}]`` of every field error, for the error summary."""
    out = []
    for form in form_or_forms:
        if form is None:
            continue
        for name, errors in form.errors.items():
            if name == "__all__":
                out.extend({"id": "", "label": "", "message": e} for e in errors)
                continue
            field = form[name] if name in form.fields else None
            for error in errors:
                out.append(
                    {
                        "id": field.auto_id if field is not None else "",
                        "label": field.label if field is not None else name,
                        "message": error,
                    }
                )
    return out


def _model_errors_into(form, exc: ValidationError, mapping: dict | None = None):
    mapping = mapping or {}
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            target = mapping.get(name, name)
            form.add_error(target if target in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _saved_answer(request, dossier, step, *, created=False):
    if _is_autosave(request):
        payload = {"saved": True, "saved_at": clock.localnow().strftime("%H:%M")}
        if created:
            payload["url"] = reverse("depot:step", args=[dossier.pk, step.slug])
        return JsonResponse(payload)
    action = request.POST.get("action", "next")
    messages.success(request, f"Étape « {step.title} » enregistrée dans le brouillon {dossier.reference}.")
    if action.startswith("add-"):
        return redirect(
            reverse("depot:step", args=[dossier.pk, step.slug]) + f"?ajout={action[4:]}#{action[4:]}"
        )
    if action == "stay":
        return redirect("depot:step", pk=dossier.pk, step=step.slug)
    following = st.next_step(step.slug)
    if following is None:
        return redirect("depot:check", pk=dossier.pk)
    return redirect("depot:step", pk=dossier.pk, step=following.slug)


def _refused_answer(request, errors, render_page):
    if _is_autosave(request):
        return JsonResponse(
            {
                "saved": False,
                "errors": errors,
                "message": "Brouillon non enregistré : corrigez les champs signalés.",
            },
            status=422,
        )
    return render_page()


def _page(request, dossier, step, context, *, status=200):
    states = (
        st.step_states(dossier)
        if dossier is not None
        else [{"step": s, "number": i, "complete": False} for i, s in enumerate(st.STEPS, start=1)]
    )
    number = [s.slug for s in st.STEPS].index(step.slug) + 1
    following = st.next_step(step.slug)
    ctx = {
        "title": f"{step.title} — étape {number} sur {len(st.STEPS)}",
        "nav": "dossiers",
        "dossier": dossier,
        "step": step,
        "number": number,
        "total": len(st.STEPS),
        "next_title": following.title if following else "Vérifier et déposer",
        "states": states,
        "autosave": step.slug != "pieces",
        **context,
    }
    ctx.setdefault("error_summary", [])
    return render(request, f"depot/steps/{step.slug}.html", ctx, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def new_dossier(request, campaign_pk):
    """Step 1 for a new draft: the draft is created (audited) on the first save."""
    _porteur_only(request)
    campaign = Campaign.objects.filter(pk=campaign_pk).first()
    if campaign is None:
        raise Http404("Appel à projets introuvable.")
    if not campaign.is_open():
        messages.error(request, f"L'appel à projets « {campaign.name} » n'est pas ouvert aux dépôts.")
        return redirect("depot:my-dossiers")
    gate = new_dossier_gate(request.user.commune_id, campaign)
    if not gate.allowed:  # E7: refused before any step is filled, nothing created
        if _is_autosave(request):
            return JsonResponse({"saved": False, "errors": [], "message": gate.message}, status=409)
        messages.error(request, gate.message)
        return redirect("depot:my-dossiers")
    step = st.BY_SLUG["projet"]
    form = f.ProjectForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                dossier = create_draft(
                    by=request.user, campaign=campaign, fields=_project_fields(form.cleaned_data)
                )
            except ValidationError as exc:
                _model_errors_into(form, exc)
            else:
                return _saved_answer(request, dossier, step, created=True)
        return _refused_answer(
            request,
            _errors_of([form]),
            lambda: _page(
                request, None, step, {"form": form, "campaign": campaign, "error_summary": _errors_of([form])}
            ),
        )
    return _page(request, None, step, {"form": form, "campaign": campaign})


def _project_fields(d) -> dict:
    return {
        "title": d["title"].strip(),
        "summary": d["summary"].strip(),
        "objectives": d["objectives"].strip(),
        "start_date": d["start_date"],
        "end_date": d["end_date"],
        "activity_days": d["activity_days"],
    }


def _project_initial(dossier) -> dict:
    return {
        name: getattr(dossier, name)
        for name in ("title", "summary", "objectives", "start_date", "end_date", "activity_days")
    }


def _participants_initial(dossier) -> dict:
    return {
        "youth_ages": f.format_ages(dossier.youth_ages),
        "leader_ages": f.format_ages(dossier.leader_ages),
        "youth_fewer_opportunities": dossier.youth_fewer_opportunities,
        "youth_first_travel": dossier.youth_first_travel,
    }


def _travel_initial(dossier) -> dict:
    return {
        name: getattr(dossier, name)
        for name in ("travel_mode", "low_carbon", "distance_km", "nights", "nights_hosted")
    }


def _partnership_initial(dossier) -> dict:
    j = dossier.jumelage if dossier.jumelage_id else None
    if j is None:
        return {"kind": "twinning"}
    p = j.partner
    return {
        "partner_name": p.name,
        "country": p.country,
        "kind": j.kind,
        "agreement_date": j.agreement_date,
        "letter_of_intent": j.letter_of_intent,
        "latitude": p.latitude,
        "longitude": p.longitude,
    }


def _line_initial(lines, kind) -> list[dict]:
    return [
        {"category": line.category, "label": line.label, "amount": line.amount, "eligible": line.eligible}
        for line in lines
        if line.kind == kind
    ]


def _line_key(line) -> tuple:
    get = line.get if isinstance(line, dict) else lambda name: getattr(line, name)
    return (
        get("kind"),
        get("category"),
        get("label") or "",
        Decimal(get("amount")).quantize(Decimal("0.01")),
        bool(get("eligible")) if get("kind") == "expense" else False,
    )


def budget_totals(lines) -> dict:
    exp = [line for line in lines if _kind(line) == "expense"]
    inc = [line for line in lines if _kind(line) == "income"]
    amount = lambda line: Decimal(line["amount"] if isinstance(line, dict) else line.amount)  # noqa: E731
    total = sum((amount(line) for line in exp), Decimal("0"))
    eligible = sum(
        (amount(line) for line in exp if (line["eligible"] if isinstance(line, dict) else line.eligible)),
        Decimal("0"),
    )
    income = sum((amount(line) for line in inc), Decimal("0"))
    own = sum((amount(line) for line in inc if _cat(line) == "own_share"), Decimal("0"))
    return {
        "expenses": total,
        "eligible": eligible,
        "income": income,
        "own_share": own,
        "own_share_pct": (own * 100 / total).quantize(Decimal("0.1")) if total else None,
    }


def _kind(line):
    return line["kind"] if isinstance(line, dict) else line.kind


def _cat(line):
    return line["category"] if isinstance(line, dict) else line.category


@login_required
@require_http_methods(["GET", "POST"])
def step_view(request, pk, step):
    if step not in st.BY_SLUG:
        raise Http404("Étape inconnue.")
    # saving a step of plain fields (autosave: every few seconds while typing) reads neither the
    # budget lines nor the documents, unless the form is refused and the page shown again
    dossier, refused = _guard_editable(
        request, pk, prefetch=not (request.method == "POST" and step in PLAIN_FIELD_STEPS)
    )
    if refused:
        if _is_autosave(request):
            return JsonResponse({"saved": False, "message": "Ce dossier n'est plus modifiable."}, status=409)
        return refused
    handler = {
        "projet": _step_project,
        "partenariat": _step_partnership,
        "participants": _step_participants,
        "voyage": _step_travel,
        "budget": _step_budget,
        "pieces": _step_documents,
    }[step]
    return handler(request, dossier, st.BY_SLUG[step])


#: steps saved by ``_simple_step`` (their fields only)
PLAIN_FIELD_STEPS = frozenset({"projet", "participants", "voyage"})


def _simple_step(
    request, dossier, step, form_class, initial, to_fields, *, form_kwargs=None, context=None, mapping=None
):
    """GET: the form filled from the dossier; POST: validate, save through update_content."""
    form_kwargs = form_kwargs or {}
    if request.method == "POST":
        form = form_class(request.POST, **form_kwargs)
        if form.is_valid():
            try:
                update_content(dossier, by=request.user, fields=to_fields(form.cleaned_data))
            except ValidationError as exc:
                _model_errors_into(form, exc, mapping)
            except PermissionDenied:
                return _refused_answer(request, [], lambda: redirect("dossier-detail", pk=dossier.pk))
            else:
                return _saved_answer(request, dossier, step)
        errors = _errors_of([form])
        return _refused_answer(
            request,
            errors,
            lambda: _page(request, dossier, step, {"form": form, "error_summary": errors, **(context or {})}),
        )
    form = form_class(initial=initial, **form_kwargs)
    return _page(request, dossier, step, {"form": form, **(context or {})})


def _step_project(request, dossier, step):
    return _simple_step(request, dossier, step, f.ProjectForm, _project_initial(dossier), _project_fields)


def _step_participants(request, dossier, step):
    return _simple_step(
        request, dossier, step, f.ParticipantsForm, _participants_initial(dossier), lambda d: dict(d)
    )


def _step_travel(request, dossier, step):
    computed = None
    partner = dossier.jumelage.partner if dossier.jumelage_id else None
    km, source = dossier_distance_km(dossier)
    if source == "coordinates":
        computed = km

    def to_fields(d):
        fields = {name: d[name] for name in ("travel_mode", "low_carbon", "nights", "nights_hosted")}
        fields["distance_km"] = computed if computed is not None else d.get("distance_km")
        return fields

    context = {
        "computed_km": computed,
        "partner": partner,
        "commune_has_coordinates": dossier.commune.latitude is not None
        and dossier.commune.longitude is not None,
    }
    return _simple_step(
        request,
        dossier,
        step,
        f.TravelForm,
        _travel_initial(dossier),
        to_fields,
        form_kwargs={"computed_km": computed},
        context=context,
    )


def _step_partnership(request, dossier, step):
    if request.method == "POST":
        form = f.PartnershipForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                save_partnership(
                    dossier,
                    by=request.user,
                    name=d["partner_name"],
                    country=d["country"],
                    kind=d["kind"],
                    agreement_date=d["agreement_date"],
                    letter_of_intent=d["letter_of_intent"],
                    latitude=d["latitude"],
                    longitude=d["longitude"],
                )
            except ValidationError as exc:
                _model_errors_into(form, exc, {"name": "partner_name", "jumelage": None, "__all__": None})
            except PermissionDenied:
                return _refused_answer(request, [], lambda: redirect("dossier-detail", pk=dossier.pk))
            else:
                return _saved_answer(request, dossier, step)
        errors = _errors_of([form])
        return _refused_answer(
            request, errors, lambda: _page(request, dossier, step, {"form": form, "error_summary": errors})
        )
    return _page(request, dossier, step, {"form": f.PartnershipForm(initial=_partnership_initial(dossier))})


def _step_budget(request, dossier, step):
    lines = list(dossier.budget_lines.all())
    if request.method == "POST":
        form = f.BudgetForm(request.POST)
        expenses = f.ExpenseFormSet(request.POST, prefix="depenses")
        incomes = f.IncomeFormSet(request.POST, prefix="recettes")
        if form.is_valid() and expenses.is_valid() and incomes.is_valid():
            new_lines = expenses.lines() + incomes.lines()
            unchanged = sorted(map(_line_key, new_lines)) == sorted(map(_line_key, lines))
            try:
                update_content(
                    dossier,
                    by=request.user,
                    fields={"requested_amount": form.cleaned_data["requested_amount"]},
                    budget_lines=None if unchanged else new_lines,
                )
            except ValidationError as exc:
                _model_errors_into(form, exc)
            except PermissionDenied:
                return _refused_answer(request, [], lambda: redirect("dossier-detail", pk=dossier.pk))
            else:
                return _saved_answer(request, dossier, step)
        errors = _errors_of([form, *expenses.forms, *incomes.forms])
        for formset in (expenses, incomes):
            errors.extend({"id": "", "label": "", "message": e} for e in formset.non_form_errors())
        shown = [line for fs in (expenses, incomes) for line in _valid_lines(fs)]
        return _refused_answer(
            request,
            errors,
            lambda: _page(
                request,
                dossier,
                step,
                {
                    "form": form,
                    "expenses": expenses,
                    "incomes": incomes,
                    "error_summary": errors,
                    "totals": budget_totals(shown),
                },
            ),
        )
    extra = request.GET.get("ajout")
    expenses = f.ExpenseFormSet(initial=_line_initial(lines, "expense"), prefix="depenses")
    incomes = f.IncomeFormSet(initial=_line_initial(lines, "income"), prefix="recettes")
    if extra == "depenses":
        expenses.extra = 2
    elif extra == "recettes":
        incomes.extra = 2
    form = f.BudgetForm(initial={"requested_amount": dossier.requested_amount})
    return _page(
        request,
        dossier,
        step,
        {"form": form, "expenses": expenses, "incomes": incomes, "totals": budget_totals(lines)},
    )


def _valid_lines(formset):
    out = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None) or {}
        if (
            form.is_valid()
            and not data.get("empty")
            and not data.get("DELETE")
            and data.get("amount") is not None
        ):
            out.append(
                {
                    "kind": form.kind,
                    "category": data.get("category"),
                    "amount": data["amount"],
                    "eligible": bool(data.get("eligible")),
                }
            )
    return out


def _step_documents(request, dossier, step):
    params = dossier.campaign.rules.params
    kinds = st.required_kinds(dossier)
    max_mb = int(params["uploads"]["max_file_mb"])
    form = f.DocumentsForm(request.POST or None, request.FILES or None, kinds=kinds, max_file_mb=max_mb)
    if request.method == "POST":
        stored = []
        if form.is_valid():
            for kind in form.fields:
                upload = form.cleaned_data.get(kind)
                if not upload:
                    continue
                if upload.size > max_mb * 1024 * 1024:
                    form.add_error(
                        kind,
                        f"Le fichier dépasse {max_mb} Mo : réduisez-le (par exemple en le numérisant en "
                        "noir et blanc) puis déposez-le à nouveau.",
                    )
                    continue
                try:
                    add_document(dossier, by=request.user, kind=kind, name=upload.name, data=upload.read())
                except ValidationError as exc:
                    form.add_error(kind, exc.messages)
                except PermissionDenied:
                    return redirect("dossier-detail", pk=dossier.pk)
                else:
                    stored.append(dict(Document.Kind.choices).get(kind, kind))
        if stored:
            messages.success(request, "Pièce(s) enregistrée(s) : " + ", ".join(stored) + ".")
        if form.errors:
            dossier = get_visible_or_404(
                request.user, dossier.pk, st.dossier_for_steps(visible_dossiers(request.user))
            )
            errors = _errors_of([form])
            return _page(request, dossier, step, _documents_context(dossier, kinds, form, errors))
        return (
            _saved_answer(request, dossier, step)
            if stored or request.POST.get("action") != "stay"
            else redirect("depot:step", pk=dossier.pk, step=step.slug)
        )
    return _page(request, dossier, step, _documents_context(dossier, kinds, form, []))


def _documents_context(dossier, kinds, form, errors) -> dict:
    current = st.current_documents(dossier)
    rows = [
        {"kind": kind, "field": form[kind], "document": current.get(kind), "required": kind in kinds}
        for kind in form.fields
    ]
    return {"form": form, "rows": rows, "error_summary": errors, "multipart": True}


# ---- check and submit ----------------------------------------------------------------------------


def _check_context(request, dossier) -> dict:
    run = run_checks(dossier, moment="preview", by=request.user, store=False)
    verdicts = []
    for v in run.preview_verdicts:
        failed = v.result == Verdict.Result.FAIL
        slug = st.RULE_STEPS.get(v.code)
        verdicts.append(
            {
                "code": v.code,
                "title": st.RULE_TITLES.get(v.code, v.code),
                "result": v.result,
                "failed": failed,
                "passed": v.result == Verdict.Result.PASS,
                "blocking": v.blocking,
                "explanation": v.explanation,
                "how_to_fix": v.how_to_fix,
                "step": st.BY_SLUG[slug] if slug else None,
                "step_url": reverse("depot:step", args=[dossier.pk, slug])
                if slug and can_edit(request.user, dossier)
                else None,
            }
        )
    blocking = [v for v in verdicts if v["failed"] and v["blocking"]]
    advisory = [v for v in verdicts if v["failed"] and not v["blocking"]]
    return {
        "title": f"Vérifier et déposer — {dossier.reference}",
        "nav": "dossiers",
        "dossier": dossier,
        "verdicts": verdicts,
        "blocking": blocking,
        "advisory": advisory,
        "rules_version": run.rules_version,
        "grant": grant_for_dossier(dossier),
        "states": st.step_states(dossier),
        "can_submit": not blocking and dossier.status == Status.DRAFT,
        "is_draft": dossier.status == Status.DRAFT,
        "totals": budget_totals(list(dossier.budget_lines.all())),
    }


@login_required
def check(request, pk):
    """Every rule E1–E9 in plain French with how to fix a failure, and the amount the formula gives."""
    dossier = get_visible_or_404(request.user, pk, st.dossier_for_steps(visible_dossiers(request.user)))
    context = _check_context(request, dossier)
    context["submit_form"] = f.SubmitForm()
    return render(request, "depot/check.html", context)


@login_required
@require_POST
def submit(request, pk):
    """The explicit confirmation (checkbox) then ``perform(dossier, "submit")``; the receipt follows by Celery."""
    _porteur_only(request)
    dossier = get_visible_or_404(request.user, pk, st.dossier_for_steps(visible_dossiers(request.user)))
    form = f.SubmitForm(request.POST)
    if form.is_valid():
        try:
            dossier_services.perform(dossier, "submit", by=request.user)
        except dossier_services.TransitionRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(
                request,
                f"Le dossier {dossier.reference} est déposé. Le récépissé vous est envoyé par courriel.",
            )
            return redirect("depot:submitted", pk=dossier.pk)
        dossier = get_visible_or_404(request.user, pk, st.dossier_for_steps(visible_dossiers(request.user)))
    context = _check_context(request, dossier)
    context["submit_form"] = form
    context["error_summary"] = [
        {"id": form["confirm"].auto_id, "label": "Confirmation", "message": e}
        for e in form.errors.get("confirm", [])
    ]
    return render(request, "depot/check.html", context, status=400 if form.errors else 409)


@login_required
def submitted(request, pk):
    dossier = get_visible_or_404(
        request.user, pk, visible_dossiers(request.user).select_related("commune", "campaign")
    )
    if dossier.submitted_at is None:
        return redirect("depot:check", pk=dossier.pk)
    receipt = GeneratedDocument.objects.filter(
        kind=GeneratedDocument.Kind.RECEIPT, key=f"receipt-{dossier.pk}"
    ).first()
    record = submission_record(dossier)
    return render(
        request,
        "depot/submitted.html",
        {
            "title": f"Dossier {dossier.reference} déposé",
            "nav": "dossiers",
            "dossier": dossier,
            "receipt": receipt,
            "record": record,
        },
    )


@login_required
def receipt(request, pk):
    """The receipt PDF, only to whoever may see the dossier (never a public URL)."""
    dossier = get_visible_or_404(request.user, pk)
    document = GeneratedDocument.objects.filter(
        kind=GeneratedDocument.Kind.RECEIPT, key=f"receipt-{dossier.pk}"
    ).first()
    if document is None:
        return render(
            request,
            "depot/receipt_pending.html",
            {"title": "Récépissé en préparation", "dossier": dossier},
            status=404,
        )
    response = FileResponse(
        document.file.open("rb"),
        content_type="application/pdf",
        filename=f"recepisse-{dossier.reference}.pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response
