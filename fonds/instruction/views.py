"""Instruction back office (DSFR, French): thin views over ``services`` and ``filters``.

Who may come here (``_staff``): instructors and administrators (read and write), auditors (read
only: any POST is a 403). Everybody else — porteurs, committee members, finance staff — gets a
403 page *before* any dossier is looked up, so the answer is the same for every dossier number
and discloses nothing (porteurs read their dossiers in the front office).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods, require_POST

from fonds.accounts.roles import Role
from fonds.audit.models import AuditEvent
from fonds.dossiers import services as dossier_services
from fonds.dossiers.access import dossier_pk_or_404, get_visible_or_404, visible_dossiers
from fonds.dossiers.models import BudgetLine, Document, Dossier, Message
from fonds.dossiers.services import TransitionRefused
from fonds.dossiers.states import Forum, Status
from fonds.formats import euros
from fonds.ui import pagination
from fonds.ui.areas import role_area

from . import grid, services
from .amount import award_bounds, award_refusal, grant_for_dossier
from .filters import REGION_NAMES, filter_dossiers
from .forms import (
    AmountForm,
    CompleteForm,
    ConflictForm,
    CorrectionsForm,
    MessageForm,
    NoteForm,
    OverrideForm,
    SaveFilterForm,
    ScoreGridForm,
    correctable_fields,
)
from .models import InstructorConflict, PrivateNote, SavedFilter, Score

READ_ROLES = frozenset({Role.INSTRUCTEUR, Role.ADMIN, Role.AUDITEUR})
WRITE_ROLES = frozenset({Role.INSTRUCTEUR, Role.ADMIN})
PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
#: the list counts matching dossiers up to this number, then says "more than"
COUNT_CAP = 10_000
MAX_PAGE = 100_000
#: the bulk-action endpoint (another module); the list shows its form only once the URL exists
BULK_URL = "instruction:bulk"
S = Status

QUEUES = {
    "a-prendre": ("À prendre", "Dossiers déposés, en attente d'un instructeur"),
    "mes-dossiers": ("Mes dossiers en instruction", "Dossiers que j'instruis"),
    "attente-porteur": ("En attente de la commune", "Corrections demandées sur mes dossiers"),
    "instruits": ("Instruits", "Mes dossiers instruits, avant le comité"),
}


#: instructors and administrators; auditors for GET/HEAD only; otherwise a 403 page
_staff = role_area(
    read=READ_ROLES,
    write=WRITE_ROLES,
    template="instruction/forbidden.html",
    flags={
        "can_write": lambda roles: bool(roles & WRITE_ROLES),
        "can_instruct": lambda roles: Role.INSTRUCTEUR in roles,
    },
)


# ---- pagination that stays fast: no unbounded COUNT(*) ---------------------------------------


class Page(pagination.Page):
    """The dossier list's pages (``fonds.ui.pagination``): deep pages allowed (page 500 of 200)."""

    sizes = PAGE_SIZES
    default_size = DEFAULT_PAGE_SIZE
    count_cap = COUNT_CAP
    max_page = MAX_PAGE


def _list_rows(qs):
    """The rows of the dossiers table: its columns only (``instruction_tags.ROW_FIELDS``), not
    the texts and JSON lists of the dossier."""
    from .templatetags.instruction_tags import ROW_FIELDS

    return qs.select_related("commune", "instructor", "assessment").only(
        *ROW_FIELDS, "commune_id", "instructor_id"
    )


def _querystring(params, drop=("page",)) -> str:
    qd = params.copy()
    for key in drop:
        qd.pop(key, None)
    return qd.urlencode()


# ---- queues ----------------------------------------------------------------------------------


def queue_filters(user) -> dict[str, Q]:
    """The four instruction queues as conditions on dossiers (a conflicted commune is not "to take")."""
    conflicts = InstructorConflict.objects.filter(user=user).values("commune_id")
    return {
        "a-prendre": Q(status=S.SUBMITTED) & ~Q(commune_id__in=conflicts),
        "mes-dossiers": Q(status=S.IN_INSTRUCTION, instructor=user),
        "attente-porteur": Q(status=S.CORRECTIONS_REQUESTED, instructor=user),
        "instruits": Q(status=S.INSTRUCTED, instructor=user),
    }


def queue_counts(user) -> dict[str, int]:
    """The four counters (same selections as ``queue_filters``) in ONE query made of counts that
    the database answers from an index without reading the table:

    * "à prendre" = submitted dossiers (index on ``status``) minus the submitted dossiers of the
      communes the instructor declared a link with, counted commune by commune from the
      declarations (index on ``commune``; usually none) — the same set as ``status = submitted
      AND commune NOT IN (conflicts)``, whose plan reads every submitted row;
    * the three others: index on ``(instructor, status)``.

    ``SELECT (SELECT COUNT(*) FROM (…)), (SELECT COUNT(*) FROM (…)), …`` — each part is the SQL of a
    Django queryset (parameters kept apart), so visibility (``visible_dossiers``) applies to all.
    """
    base = visible_dossiers(user).order_by()
    per_commune = (
        base.filter(commune_id=OuterRef("commune_id"), status=S.SUBMITTED)
        .values("commune_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    parts = {
        "submitted": base.filter(status=S.SUBMITTED),
        "conflicted": (
            "sum",
            InstructorConflict.objects.filter(user=user).order_by().values(n=Subquery(per_commune)),
        ),
        "mes_dossiers": base.filter(status=S.IN_INSTRUCTION, instructor=user),
        "attente_porteur": base.filter(status=S.CORRECTIONS_REQUESTED, instructor=user),
        "instruits": base.filter(status=S.INSTRUCTED, instructor=user),
    }
    counts = _count_many(parts)
    counts = {key: int(value) for key, value in counts.items()}  # PostgreSQL's SUM is a numeric
    return {
        "a_prendre": counts["submitted"] - counts["conflicted"],
        "mes_dossiers": counts["mes_dossiers"],
        "attente_porteur": counts["attente_porteur"],
        "instruits": counts["instruits"],
    }


def _count_many(querysets: dict) -> dict[str, int]:
    """``{name: qs.count()}`` in one round trip (scalar sub-queries; an empty queryset counts 0).
    A value ``("sum", qs)`` gives the sum of ``qs``'s one column instead (0 when no row)."""
    from django.core.exceptions import EmptyResultSet
    from django.db import connections

    names, selects, params = [], [], []
    result, using = {}, None
    for name, qs in querysets.items():
        total = isinstance(qs, tuple)
        qs = qs[1] if total else qs.values("pk")
        using = using or qs.db
        try:
            sql, qparams = qs.query.sql_with_params()
        except EmptyResultSet:
            result[name] = 0
            continue
        names.append(name)
        alias = f"q{len(names)}"
        column = f"COALESCE(SUM({alias}.n), 0)" if total else "COUNT(*)"
        selects.append(f"(SELECT {column} FROM ({sql}) {alias})")
        params.extend(qparams)
    if names:
        with connections[using].cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(selects), params)
            result.update(zip(names, cursor.fetchone()))
    return result


QUEUE_LIST_PARAMS = {
    "a-prendre": {"status": "submitted", "sort": "submitted"},
    "mes-dossiers": {"status": "in_instruction", "instructor": "me", "sort": "submitted"},
    "attente-porteur": {"status": "corrections_requested", "instructor": "me", "sort": "deadline"},
    "instruits": {"status": "instructed", "instructor": "me", "sort": "-score"},
}


@_staff
def queues(request):
    key = request.GET.get("file") or "a-prendre"
    if key not in QUEUES:
        key = "a-prendre"
    counts = queue_counts(request.user)
    qs = visible_dossiers(request.user).filter(queue_filters(request.user)[key])
    order = {
        "attente-porteur": ["corrections_due", "pk"],
        "instruits": ["-assessment__score_total", "pk"],
    }.get(key, ["submitted_at", "pk"])
    page = Page(
        qs.order_by(*order),
        request.GET,
        default_size=25,
        load=_list_rows,
        count=counts[key.replace("-", "_")],
    )
    querystring = _querystring(request.GET)
    tabs = [
        {"key": k, "label": label, "help": help_, "count": counts[k.replace("-", "_")], "current": k == key}
        for k, (label, help_) in QUEUES.items()
    ]
    return render(
        request,
        "instruction/queues.html",
        {
            "title": "Files d'instruction",
            "nav": "instruction",
            "tabs": tabs,
            "queue": key,
            "queue_label": QUEUES[key][0],
            "page": page,
            "page_links": page.links(querystring),
            "neighbours": page.neighbour_urls(querystring),
            "list_url": reverse("instruction:list") + "?" + urlencode(QUEUE_LIST_PARAMS[key]),
        },
    )


# ---- the filtered list -----------------------------------------------------------------------


@_staff
def dossier_list(request):
    qs, form = filter_dossiers(request.user, request.GET)
    querystring = _querystring(request.GET)
    page = Page(qs, request.GET, load=_list_rows)
    try:
        bulk_url = reverse(BULK_URL)
    except NoReverseMatch:
        bulk_url = None
    context = {
        "title": "Dossiers à instruire",
        "nav": "instruction",
        "form": form,
        "page": page,
        "page_links": page.links(querystring),
        "neighbours": page.neighbour_urls(querystring),
        "querystring": _querystring(request.GET, drop=("page", "taille")),
        "page_sizes": PAGE_SIZES,
        "saved_filters": list(SavedFilter.objects.filter(user=request.user)),
        "save_form": SaveFilterForm(initial={"querystring": _querystring(request.GET, drop=("page",))}),
        "bulk_url": bulk_url,
        "regions": REGION_NAMES,
    }
    return render(request, "instruction/list.html", context, status=200 if form.is_valid() else 400)


@_staff
@require_POST
def save_filter(request):
    form = SaveFilterForm(request.POST)
    if form.is_valid():
        try:
            saved = services.save_filter(
                request.user, form.cleaned_data["name"], form.cleaned_data["querystring"]
            )
        except TransitionRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, f"Filtre « {saved.name} » enregistré.")
            return redirect(
                reverse("instruction:list") + ("?" + saved.querystring if saved.querystring else "")
            )
    else:
        messages.error(request, "Donnez un nom au filtre (80 caractères au plus).")
    return redirect(reverse("instruction:list") + "?" + (request.POST.get("querystring") or ""))


@_staff
@require_POST
def delete_filter(request, pk):
    services.delete_filter(request.user, pk)
    messages.success(request, "Filtre supprimé.")
    return redirect("instruction:list")


# ---- the instruction page -----------------------------------------------------------------


def _dossier(request, pk, *prefetch) -> Dossier:
    """The dossier with what the instruction pages show. The two users' emails come as scalar
    sub-queries (``instructor_email``, ``created_by_email``), not joins: PostgreSQL plans a
    7-table join in ~1.7 ms, the 5-table one with two sub-queries in ~0.4 ms (the dossiers table
    has ~30 indexes; the plan is made at each request)."""
    from fonds.accounts.models import User

    emails = {
        f"{name}_email": Subquery(User.objects.filter(pk=OuterRef(f"{name}_id")).values("email")[:1])
        for name in ("instructor", "created_by")
    }
    qs = (
        visible_dossiers(request.user)
        .select_related("commune", "campaign", "jumelage__partner")
        .annotate(**emails, reader_conflicted=services.conflict_exists(request.user))
    )
    return get_visible_or_404(request.user, pk, qs.prefetch_related(*prefetch))


def _conflicted(request, dossier) -> bool:
    """``services.has_conflict(request.user, dossier.commune_id)``, read with the dossier by ``_dossier``."""
    known = getattr(dossier, "reader_conflicted", None)
    return services.has_conflict(request.user, dossier.commune_id) if known is None else known


def _page(request, dossier, *, status=200, **forms):
    user = request.user
    ruleset = dossier.campaign.rules
    params = ruleset.params
    conflicted = _conflicted(request, dossier)
    editable = request.can_instruct and not conflicted and dossier.status in services.INSTRUCTING
    writes_mail = request.can_instruct and not conflicted and dossier.status in services.CORRESPONDENCE
    scores = {s.criterion: s for s in Score.objects.filter(dossier=dossier).select_related("by")}
    result = grid.evaluate({code: s.points for code, s in scores.items()}, params)
    auto_preview = {}
    for crit in grid.criteria(params):
        if crit.automatic and crit.code == grid.TERRITORIAL:
            auto_preview[crit.code] = grid.territorial_points(
                dossier.commune.population, dossier.commune.is_overseas, params
            )
    breakdown = grant_for_dossier(dossier, params)
    documents = list(dossier.documents.filter(replaced_by__isnull=True).select_related("uploaded_by"))
    context = {
        "title": f"Instruction — {dossier.reference}",
        "nav": "instruction",
        "dossier": dossier,
        "ruleset": ruleset,
        "region_name": REGION_NAMES.get(dossier.commune.region, dossier.commune.region),
        "conflicted": conflicted,
        "editable": editable,
        "writes_mail": writes_mail,
        "can_recheck": request.can_instruct
        and not conflicted
        and dossier.status in {S.SUBMITTED, S.IN_INSTRUCTION, S.CORRECTIONS_REQUESTED},
        "actions": services.instruction_actions(dossier, user, conflicted=conflicted)
        if request.can_write
        else [],
        "budget_lines": list(dossier.budget_lines.all()),
        "documents": documents,
        "eligibility": services.eligibility_view(dossier),
        "grid": result,
        "scores": scores,
        "auto_preview": auto_preview,
        "grid_rows": [(r, scores.get(r.criterion.code)) for r in result.results],
        "grid_form": forms.get("grid_form") or ScoreGridForm(params=params, initial_scores=scores),
        "breakdown": breakdown,
        "proposal": services.current_proposal(dossier),
        "bounds": award_bounds(breakdown),
        "amount_form": forms.get("amount_form") or AmountForm(),
        "notes": []
        if conflicted
        else list(PrivateNote.objects.filter(dossier=dossier).select_related("author")),
        "note_form": forms.get("note_form") or NoteForm(),
        "thread": list(Message.objects.filter(dossier=dossier).select_related("author")),
        "message_form": forms.get("message_form") or MessageForm(),
        "corrections": list(dossier.correction_requests.select_related("requested_by")[:5]),
        "field_labels": dict(correctable_fields()),
        "document_labels": dict(Document.Kind.choices),
        # the timeline's columns only: not each event's canonical JSON and hashes
        "events": AuditEvent.objects.filter(object_type="dossiers.dossier", object_id=str(dossier.pk))
        .order_by("seq")
        .only("seq", "created_at", "action", "actor_role"),
    }
    return render(request, "instruction/dossier.html", context, status=status)


#: the budget lines, read once for the formula and the table, in their order within a dossier
#: (``BudgetLine.Meta.ordering`` starts with the dossier, whose own ordering would join the
#: dossiers table — a second query on ``dossiers_dossier`` to plan)
BUDGET_LINES = Prefetch("budget_lines", queryset=BudgetLine.objects.order_by("kind", "id"))


@_staff
def dossier_page(request, pk):
    return _page(request, _dossier(request, pk, BUDGET_LINES))


def _back(dossier, anchor=""):
    return redirect(reverse("instruction:dossier", args=[dossier.pk]) + (f"#{anchor}" if anchor else ""))


def _refusal(request, dossier, refused, **forms):
    messages.error(request, refused.message)
    return _page(
        request,
        dossier,
        status=403 if refused.kind == "role" else 409 if refused.kind == "status" else 400,
        **forms,
    )


@_staff
@require_POST
def record_scores(request, pk):
    dossier = _dossier(request, pk)
    form = ScoreGridForm(request.POST, params=dossier.campaign.rules.params)
    if not form.is_valid():
        messages.error(request, "La grille n'est pas enregistrée : corrigez les champs signalés.")
        return _page(request, dossier, status=400, grid_form=form)
    try:
        result = services.record_scores(dossier, by=request.user, scores=form.scores())
    except TransitionRefused as refused:
        return _refusal(request, dossier, refused, grid_form=form)
    suggestion = grid.OPINION_LABELS.get(result.suggestion, "")
    messages.success(
        request,
        f"Grille enregistrée : {result.total} points."
        + (f" Avis suggéré : {suggestion.lower()}." if suggestion else " Des critères restent à noter."),
    )
    return _back(dossier, "grille")


@_staff
@require_POST
def propose_amount(request, pk):
    dossier = _dossier(request, pk)
    form = AmountForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Le montant n'est pas enregistré : corrigez les champs signalés.")
        return _page(request, dossier, status=400, amount_form=form)
    try:
        proposal = services.propose_amount(
            dossier,
            by=request.user,
            amount=form.cleaned_data["amount"],
            motivation=form.cleaned_data["motivation"],
        )
    except TransitionRefused as refused:
        return _refusal(request, dossier, refused, amount_form=form)
    messages.success(
        request,
        f"Montant proposé : {euros(proposal.amount)}"
        + (" (modifié, motivation enregistrée)." if proposal.amended else " (formule)."),
    )
    return _back(dossier, "montant")


@_staff
@require_POST
def add_note(request, pk):
    """The note is written from the pk: ``services.add_note`` locks and checks the dossier itself
    (visibility, role, conflict, status), so the page's dossier is read only to show a refusal."""
    form = NoteForm(request.POST)
    if form.is_valid():
        target = dossier_pk_or_404(
            pk
        )  # the service checks visibility on the row it locks (not_found: a 404 too)
        try:
            services.add_note(target, by=request.user, body=form.cleaned_data["body"])
        except TransitionRefused as refused:
            if refused.kind == "not_found":
                raise Http404("Dossier introuvable.")
            return _refusal(request, _dossier(request, pk), refused, note_form=form)
        messages.success(request, "Note interne enregistrée.")
        return redirect(reverse("instruction:dossier", args=[target]) + "#notes")
    return _page(request, _dossier(request, pk), status=400, note_form=form)


@_staff
@require_POST
def send_message(request, pk):
    dossier = _dossier(request, pk)
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            services.send_message(dossier, by=request.user, body=form.cleaned_data["body"])
        except TransitionRefused as refused:
            return _refusal(request, dossier, refused, message_form=form)
        messages.success(request, "Message envoyé à la commune.")
        return _back(dossier, "messages")
    return _page(request, dossier, status=400, message_form=form)


@_staff
@require_POST
def recheck(request, pk):
    dossier = _dossier(request, pk)
    try:
        run = services.recheck_eligibility(dossier, by=request.user)
    except TransitionRefused as refused:
        return _refusal(request, dossier, refused)
    failures = run.failures()
    messages.success(
        request,
        "Contrôle d'éligibilité relancé : "
        + (
            "toutes les règles sont respectées."
            if not failures
            else f"{len(failures)} règle(s) non respectée(s)."
        ),
    )
    return _back(dossier, "eligibilite")


@_staff
@require_http_methods(["GET", "POST"])
def override(request, pk, verdict_pk):
    dossier = _dossier(request, pk)
    view = services.eligibility_view(dossier)
    row = next((r for r in view.rows if r.verdict.pk == verdict_pk), None)
    if row is None:
        raise Http404("Verdict introuvable dans le dernier contrôle.")
    form = OverrideForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.override_verdict(
                    dossier, verdict_pk, by=request.user, motivation=form.cleaned_data["motivation"]
                )
            except TransitionRefused as refused:
                messages.error(request, refused.message)
                status = 403 if refused.kind == "role" else 400
            else:
                messages.success(
                    request, f"Le verdict {row.verdict.code} est écarté ; la motivation est enregistrée."
                )
                return _back(dossier, "eligibilite")
        else:
            status = 400
    return render(
        request,
        "instruction/override.html",
        {
            "title": f"Dérogation {row.verdict.code}",
            "nav": "instruction",
            "dossier": dossier,
            "row": row,
            "run": view.run,
            "form": form,
        },
        status=status,
    )


# ---- transitions ---------------------------------------------------------------------------


def _allowed(request, dossier, name) -> dict | None:
    return next(
        (
            a
            for a in services.instruction_actions(
                dossier, request.user, conflicted=_conflicted(request, dossier)
            )
            if a["name"] == name
        ),
        None,
    )


@_staff
@require_http_methods(["GET", "POST"])
def request_corrections(request, pk):
    dossier = _dossier(request, pk)
    action = _allowed(request, dossier, "request_corrections")
    days = dossier.campaign.rules.params["deadlines"]["corrections_days"]
    form = CorrectionsForm(request.POST or None, days=days)
    status = 200 if action else 409
    if action is None:
        messages.error(
            request, "Vous ne pouvez pas demander de corrections sur ce dossier dans son état actuel."
        )
    elif request.method == "POST":
        if form.is_valid():
            data = {
                "fields": form.cleaned_data["fields_to_fix"],
                "documents": form.cleaned_data["documents"],
                "deadline": form.cleaned_data["deadline"],
            }
            try:
                dossier_services.perform(
                    dossier,
                    "request_corrections",
                    by=request.user,
                    motivation=form.cleaned_data["message"],
                    data=data,
                )
            except TransitionRefused as refused:
                messages.error(request, refused.message)
                status = refused.http_status
            else:
                messages.success(
                    request, f"Corrections demandées ; échéance le {form.cleaned_data['deadline']:%d/%m/%Y}."
                )
                return _back(dossier)
        else:
            status = 400
    return render(
        request,
        "instruction/corrections.html",
        {
            "title": "Demander des corrections",
            "nav": "instruction",
            "dossier": dossier,
            "form": form,
            "allowed": action is not None,
            "days": days,
        },
        status=status,
    )


@_staff
@require_http_methods(["GET", "POST"])
def complete(request, pk):
    dossier = _dossier(request, pk)
    action = _allowed(request, dossier, "complete_instruction")
    params = dossier.campaign.rules.params
    result = services.grid_for(dossier, params)
    view = services.eligibility_view(dossier)
    proposal = services.current_proposal(dossier)
    favourable_refusal = grid.opinion_refusal(
        grid.FAVOURABLE, result
    )  # below the thresholds: unfavourable only
    form = CompleteForm(
        request.POST or None, initial={"opinion": result.suggestion}, favourable_refusal=favourable_refusal
    )
    status = 200 if action else 409
    if action is None:
        messages.error(
            request, "Vous ne pouvez pas terminer l'instruction de ce dossier dans son état actuel."
        )
    elif request.method == "POST":
        if form.is_valid():
            motivation = form.cleaned_data["motivation"].strip()
            data = {"opinion": form.cleaned_data["opinion"], "opinion_motivation": motivation}
            try:
                dossier_services.perform(
                    dossier, "complete_instruction", by=request.user, motivation=motivation, data=data
                )
            except TransitionRefused as refused:
                messages.error(request, refused.message)
                status = refused.http_status
            else:
                messages.success(request, "Instruction terminée : le dossier est prêt pour le comité.")
                return _back(dossier)
        else:
            status = 400
    breakdown = grant_for_dossier(dossier, params)
    amount = proposal.amount if proposal else breakdown.grant
    bounds = award_bounds(breakdown)
    return render(
        request,
        "instruction/complete.html",
        {
            "title": "Terminer l'instruction",
            "nav": "instruction",
            "dossier": dossier,
            "form": form,
            "allowed": action is not None,
            "grid": result,
            "eligibility": view,
            "proposal": proposal,
            "amount": amount,
            "bounds": bounds,
            "amount_refusal": award_refusal(amount, bounds, zero_allowed=True),
            "favourable_refusal": favourable_refusal,
            "suggestion_label": grid.OPINION_LABELS.get(result.suggestion or "", ""),
        },
        status=status,
    )


SPECIFIC_PAGES = {
    "request_corrections": "instruction:corrections",
    "complete_instruction": "instruction:complete",
    "schedule": "comite:schedule",
}


@_staff
@require_http_methods(["GET", "POST"])
def action(request, pk, name):
    """Confirmation page of the other transitions (label, motivation and confirm text from the model)."""
    from fonds.ui.forms import TransitionForm

    if name in SPECIFIC_PAGES:
        return redirect(SPECIFIC_PAGES[name], pk=pk)
    dossier = _dossier(request, pk)
    try:
        meta = dossier_services.transition_meta(name)["custom"]
    except TransitionRefused:
        raise Http404("Action inconnue.")
    allowed = _allowed(request, dossier, name) is not None
    form = TransitionForm(request.POST or None, needs_motivation=meta["needs_motivation"])
    status = 200 if allowed else 409
    if not allowed:
        if Forum.DOSSIER not in meta["forums"]:
            messages.error(request, dossier_services.forum_refusal(name, Forum.DOSSIER).message)
        else:
            messages.error(
                request,
                f"L'action « {meta['label']} » n'est pas possible pour vous sur ce dossier dans son état actuel.",
            )
    elif request.method == "POST":
        if form.is_valid():
            try:
                dossier_services.perform(
                    dossier, name, by=request.user, motivation=form.cleaned_data["motivation"]
                )
            except TransitionRefused as refused:
                messages.error(request, refused.message)
                status = refused.http_status
            else:
                dossier.refresh_from_db()
                messages.success(
                    request,
                    f"« {meta['label']} » : c'est fait. Le dossier est désormais « {dossier.get_status_display()} ».",
                )
                return _back(dossier)
        else:
            status = 400
    return render(
        request,
        "instruction/action.html",
        {
            "title": meta["label"],
            "nav": "instruction",
            "dossier": dossier,
            "meta": meta,
            "name": name,
            "form": form,
            "allowed": allowed,
        },
        status=status,
    )


# ---- documents inline ------------------------------------------------------------------------

INLINE_TYPES = ("application/pdf", "image/jpeg", "image/png")


@_staff
@xframe_options_sameorigin
def document_inline(request, pk, document_pk):
    """A PDF for the ``<object>`` of the instruction page: same access check as "dossier-document",
    served inline and framable by this site only (the site default is X-Frame-Options: DENY)."""
    dossier = get_visible_or_404(request.user, pk)
    document = dossier.documents.filter(pk=document_pk).first()
    if document is None or document.content_type not in INLINE_TYPES:
        raise Http404("Pièce introuvable.")
    response = FileResponse(
        document.file.open("rb"),
        content_type=document.content_type,
        as_attachment=False,
        filename=document.file.name.rsplit("/", 1)[-1],
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "frame-ancestors 'self'; script-src 'none'; object-src 'self'"
    response["Cache-Control"] = "private, no-store"
    return response


# ---- conflicts of interest -------------------------------------------------------------------


@_staff
@require_http_methods(["GET", "POST"])
def conflicts(request):
    form = ConflictForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not request.can_instruct:
            messages.error(request, "Seuls les instructeurs déclarent des liens avec une commune.")
            status = 403
        elif form.is_valid():
            try:
                conflict = services.declare_conflict(
                    request.user, form.cleaned_data["commune"], motivation=form.cleaned_data["motivation"]
                )
            except TransitionRefused as refused:
                messages.error(request, refused.message)
                status = 400
            else:
                messages.success(
                    request,
                    f"Lien déclaré avec {conflict.commune.name} : ses dossiers ne vous seront plus proposés.",
                )
                return redirect("instruction:conflicts")
        else:
            status = 400
    declared = InstructorConflict.objects.filter(user=request.user).select_related("commune")
    return render(
        request,
        "instruction/conflicts.html",
        {"title": "Mes liens déclarés", "nav": "instruction", "form": form, "declared": declared},
        status=status,
    )
