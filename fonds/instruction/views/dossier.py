"""The instruction page of a dossier and the forms it posts: grid, amount, notes, the conversation
with the commune (its panel and the answer to the last correction request, with its diff),
eligibility re-check and overrides; its documents shown inline."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods, require_POST

from fonds.audit.models import AuditEvent
from fonds.conversation import corrections as conversation_corrections
from fonds.conversation import services as conversation
from fonds.conversation.forms import MessageForm
from fonds.dossiers.access import dossier_pk_or_404, get_visible_or_404
from fonds.dossiers.models import BudgetLine, Document, Message
from fonds.dossiers.services import TransitionRefused
from fonds.dossiers.states import Status as S
from fonds.formats import euros
from fonds.ui.files import inline_document
from fonds.ui.submit import submitted

from .. import grid, services
from ..amount import award_bounds, grant_for_dossier
from ..filters import REGION_NAMES
from ..forms import AmountForm, NoteForm, OverrideForm, ScoreGridForm, correctable_fields
from ..models import PrivateNote, Score
from .common import dossier_url, instruction_dossier, is_conflicted, staff_area


def _page(request, dossier, *, status=200, **forms):
    user = request.user
    ruleset = dossier.rules
    params = ruleset.params
    conflicted = is_conflicted(request, dossier)
    editable = request.can_instruct and not conflicted and dossier.status in services.INSTRUCTING
    writes_notes = request.can_instruct and not conflicted and dossier.status in services.CORRESPONDENCE
    writes_mail = request.can_write and not conflicted and conversation.may_write(user, dossier)
    thread = list(conversation.thread(dossier))
    corrections = list(dossier.correction_requests.select_related("requested_by")[:5])
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
        "writes_notes": writes_notes,
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
        "thread": thread,
        "unread_above": conversation.mark_read(user, dossier, thread),
        "message_form": forms.get("message_form") or MessageForm(),
        "corrections": corrections,
        "answer": _last_answer(dossier, corrections, thread),
        "field_labels": dict(correctable_fields()),
        "document_labels": dict(Document.Kind.choices),
        # the timeline's columns only: not each event's canonical JSON and hashes
        "events": AuditEvent.objects.filter(object_type="dossiers.dossier", object_id=str(dossier.pk))
        .order_by("seq")
        .only("seq", "created_at", "action", "actor_role"),
    }
    return render(request, "instruction/dossier.html", context, status=status)


def _last_answer(dossier, corrections, thread) -> dict | None:
    """The last correction request once answered: the porteur's reply (if they wrote one) and the
    named items before → after (``fonds.conversation.corrections.changes``)."""
    last = corrections[0] if corrections else None
    if last is None or last.answered_at is None:
        return None
    reply = next(
        (m for m in thread if m.correction_id == last.pk and m.kind == Message.Kind.CORRECTION_ANSWER), None
    )
    return {"correction": last, "reply": reply, "changes": conversation_corrections.changes(last, dossier)}


#: the budget lines, read once for the formula and the table, in their order within a dossier
#: (``BudgetLine.Meta.ordering`` starts with the dossier, whose own ordering would join the
#: dossiers table — a second query on ``dossiers_dossier`` to plan)
BUDGET_LINES = Prefetch("budget_lines", queryset=BudgetLine.objects.order_by("kind", "id"))


@staff_area
def dossier_page(request, pk):
    return _page(request, instruction_dossier(request, pk, BUDGET_LINES))


def _posted(request, dossier, form, act, *, form_name, success, anchor, invalid=""):
    """A form of the instruction page posted (``fonds.ui.submit.submitted``): back to its section
    on success, else the page again with the form as typed and ``invalid`` said if it is."""
    if invalid and not form.is_valid():
        messages.error(request, invalid)
    done, status = submitted(request, form, act, success=success, then=dossier_url(dossier, anchor))
    kept = {form_name: form} if form_name else {}
    return done or _page(request, dossier, status=status, **kept)


@staff_area
@require_POST
def record_scores(request, pk):
    dossier = instruction_dossier(request, pk)
    form = ScoreGridForm(request.POST, params=dossier.rules.params)

    def said(result):
        suggestion = grid.OPINION_LABELS.get(result.suggestion, "")
        return f"Grille enregistrée : {result.total} points." + (
            f" Avis suggéré : {suggestion.lower()}." if suggestion else " Des critères restent à noter."
        )

    return _posted(
        request,
        dossier,
        form,
        lambda: services.record_scores(dossier, by=request.user, scores=form.scores()),
        form_name="grid_form",
        success=said,
        anchor="grille",
        invalid="La grille n'est pas enregistrée : corrigez les champs signalés.",
    )


@staff_area
@require_POST
def propose_amount(request, pk):
    dossier = instruction_dossier(request, pk)
    form = AmountForm(request.POST)
    return _posted(
        request,
        dossier,
        form,
        lambda: services.propose_amount(
            dossier,
            by=request.user,
            amount=form.cleaned_data["amount"],
            motivation=form.cleaned_data["motivation"],
        ),
        form_name="amount_form",
        success=lambda proposal: (
            f"Montant proposé : {euros(proposal.amount)}"
            + (" (modifié, motivation enregistrée)." if proposal.amended else " (formule).")
        ),
        anchor="montant",
        invalid="Le montant n'est pas enregistré : corrigez les champs signalés.",
    )


@staff_area
@require_POST
def add_note(request, pk):
    """The note is written from the pk: ``services.add_note`` locks and checks the dossier itself
    (visibility, role, conflict, status), so the page's dossier is read only to show a refusal."""
    form = NoteForm(request.POST)
    if form.is_valid():
        target = dossier_pk_or_404(pk)  # the service checks visibility on the row it locks
        try:
            services.add_note(target, by=request.user, body=form.cleaned_data["body"])
        except TransitionRefused as refused:
            if refused.kind == "not_found":
                raise Http404("Dossier introuvable.") from None
            messages.error(request, refused.message)
            return _page(
                request, instruction_dossier(request, pk), status=refused.http_status, note_form=form
            )
        messages.success(request, "Note interne enregistrée.")
        return redirect(reverse("instruction:dossier", args=[target]) + "#notes")
    return _page(request, instruction_dossier(request, pk), status=400, note_form=form)


@staff_area
@require_POST
def send_message(request, pk):
    dossier = instruction_dossier(request, pk)
    form = MessageForm(request.POST, request.FILES)
    return _posted(
        request,
        dossier,
        form,
        lambda: conversation.post_message(
            dossier, by=request.user, body=form.cleaned_data["body"], files=form.uploads()
        ),
        form_name="message_form",
        success=lambda _: "Message envoyé à la commune.",
        anchor="messages",
    )


@staff_area
@require_POST
def recheck(request, pk):
    dossier = instruction_dossier(request, pk)

    def said(run):
        failures = run.failures()
        return "Contrôle d'éligibilité relancé : " + (
            f"{len(failures)} règle(s) non respectée(s)."
            if failures
            else "toutes les règles sont respectées."
        )

    return _posted(
        request,
        dossier,
        forms.Form(request.POST),  # a button: nothing typed
        lambda: services.recheck_eligibility(dossier, by=request.user),
        form_name="",
        success=said,
        anchor="eligibilite",
    )


@staff_area
@require_http_methods(["GET", "POST"])
def override(request, pk, verdict_pk):
    dossier = instruction_dossier(request, pk)
    view = services.eligibility_view(dossier)
    row = next((r for r in view.rows if r.verdict.pk == verdict_pk), None)
    if row is None:
        raise Http404("Verdict introuvable dans le dernier contrôle.")
    form = OverrideForm(request.POST or None)
    done, status = submitted(
        request,
        form,
        lambda: services.override_verdict(
            dossier, verdict_pk, by=request.user, motivation=form.cleaned_data["motivation"]
        ),
        success=lambda _: f"Le verdict {row.verdict.code} est écarté ; la motivation est enregistrée.",
        then=dossier_url(dossier, "eligibilite"),
    )
    if done:
        return done
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


@staff_area
@xframe_options_sameorigin
def document_inline(request, pk, document_pk):
    """A PDF for the ``<object>`` of the instruction page: same access check as "dossier-document",
    served inline and framable by this site only (the site default is X-Frame-Options: DENY)."""
    dossier = get_visible_or_404(request.user, pk)
    document = dossier.documents.filter(pk=document_pk).first()
    return inline_document(document, missing="Pièce introuvable.")


# ---- conflicts of interest -------------------------------------------------------------------
