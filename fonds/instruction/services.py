"""The instruction's service API: every change in ONE transaction with its audit event, refusals
raised as ``TransitionRefused`` with a French message, like ``perform``. Only instructors write,
never on a commune they declared a link with. Here: the amount, private notes, declared
links, saved filters and the page's actions; the eligibility view (``eligibility.py``), the grid
(``scoring.py``) and the checks (``guards.py``) are part of this API."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from fonds.accounts.roles import Role, has_role
from fonds.audit import chain as audit
from fonds.dossiers.services import TransitionRefused, available_transitions

from .amount import award_bounds, check_award_amount, grant_for_dossier, parse_amount
from .eligibility import (
    EligibilityView,
    VerdictRow,
    eligibility_view,
    latest_run,
    override_verdict,
    recheck_eligibility,
)
from .guards import (
    CONFLICT_GUARDED,
    CORRESPONDENCE,
    INSTRUCTING,
    audit_dossier,
    check_no_conflict,
    conflict_exists,
    conflict_message,
    fingerprint,
    has_conflict,
    instructor_role,
    lock_dossier,
    required_text,
)
from .models import (
    AmountProposal,
    Assessment,
    InstructorConflict,
    PrivateNote,
    SavedFilter,
)
from .scoring import ensure_automatic_scores, grid_for, record_scores, stored_points

#: the stage's service API: this module's changes and reads, and those of its parts
__all__ = [
    "EligibilityView",
    "VerdictRow",
    "eligibility_view",
    "latest_run",
    "override_verdict",
    "recheck_eligibility",
    "CONFLICT_GUARDED",
    "CORRESPONDENCE",
    "INSTRUCTING",
    "check_no_conflict",
    "conflict_exists",
    "conflict_message",
    "has_conflict",
    "ensure_automatic_scores",
    "grid_for",
    "record_scores",
    "stored_points",
    "current_proposal",
    "propose_amount",
    "add_note",
    "declare_conflict",
    "save_filter",
    "delete_filter",
    "instruction_actions",
]

# ---- amount ------------------------------------------------------------------------------


def current_proposal(dossier) -> AmountProposal | None:
    return AmountProposal.objects.filter(dossier=dossier).select_related("by").order_by("-at", "-id").first()


def propose_amount(dossier, *, by, amount=None, motivation: str = "") -> AmountProposal:
    """Store the formula's amount (``amount`` None) or the instructor's amendment (motivated).

    Any amount lies within ``amount.award_bounds`` (1,000 € to the formula's caps: the fund's
    cap, 80 % of eligible costs, the requested amount, T + S + O), or is 0 € (no grant)."""
    motivation = (motivation or "").strip()
    with transaction.atomic():
        locked = lock_dossier(dossier, by, statuses=INSTRUCTING, action="La proposition de montant")
        ruleset = locked.rules
        breakdown = grant_for_dossier(locked, ruleset.params)
        bounds = award_bounds(breakdown)
        formula = breakdown.grant
        value = formula if amount is None or amount == "" else parse_amount(amount)
        amended = value != formula
        if amended and not motivation:
            raise TransitionRefused(
                "motivation", "Modifier le montant de la formule exige une motivation écrite."
            )
        check_award_amount(value, bounds, zero_allowed=True)
        if len(motivation) > 5000:
            raise TransitionRefused("condition", "La motivation : 5 000 caractères au plus.")
        details = breakdown.as_dict()
        proposal = AmountProposal.objects.create(
            dossier=locked,
            formula_amount=formula,
            amount=value,
            amended=amended,
            motivation=motivation,
            breakdown=details,
            rules_version=ruleset.version,
            by=by,
        )
        Assessment.objects.update_or_create(dossier=locked, defaults={"amount_proposed": value})
        audit_dossier(
            "amount_proposed",
            locked,
            by,
            {
                "proposal": proposal.pk,
                "formula_amount": formula,
                "amount": value,
                "amended": amended,
                "motivation": motivation,
                "travel": breakdown.travel,
                "stay": breakdown.stay,
                "organisation": breakdown.organisation,
                "limiting": breakdown.limiting,
                "bounds": bounds.as_dict(),
                "rules_version": ruleset.version,
            },
        )
    return proposal


# ---- notes -------------------------------------------------------------------------


def _written(dossier, by, body: str, *, what: str, action: str, event: str, create, about):
    """A text written on a dossier (note, message): the dossier locked, the row created, one audit
    event holding the text's fingerprint and length, not the text. ``about(locked, row)`` gives the
    event's object and the rest of its payload."""
    body = required_text(body, what, max_length=5000)
    with transaction.atomic():
        locked = lock_dossier(dossier, by, statuses=CORRESPONDENCE, action=action)
        row = create(locked, body)
        obj, payload = about(locked, row)
        payload.update(sha256=fingerprint(body), length=len(body))
        audit.append(event, actor=by, role=instructor_role(by), obj=obj, payload=payload)
    return row


def add_note(dossier, *, by, body: str) -> PrivateNote:
    """A private note: the audit event is about the note (not the dossier's public timeline)."""
    return _written(
        dossier,
        by,
        body,
        what="La note",
        action="La note interne",
        event="private_note_added",
        create=lambda locked, text: PrivateNote.objects.create(dossier=locked, author=by, body=text),
        about=lambda locked, note: (note, {"dossier": locked.pk, "reference": locked.reference}),
    )


# ---- conflicts of interest ------------------------------------------------------------------


def declare_conflict(user, commune, *, motivation: str) -> InstructorConflict:
    """Declare a link with a commune (audited). From then on the user cannot instruct its dossiers."""
    motivation = required_text(motivation, "La nature du lien", max_length=2000)
    if not has_role(user, Role.INSTRUCTEUR):
        raise TransitionRefused("role", "Seuls les instructeurs déclarent ici un lien avec une commune.")
    try:
        with transaction.atomic():
            conflict = InstructorConflict.objects.create(user=user, commune=commune, motivation=motivation)
            audit.append(
                "conflict_declared",
                actor=user,
                role=instructor_role(user),
                obj=conflict,
                payload={"commune": commune.code, "commune_name": commune.name, "motivation": motivation},
            )
    except IntegrityError:
        raise TransitionRefused("condition", f"Vous avez déjà déclaré un lien avec {commune.name}.") from None
    return conflict


# ---- saved filters (preferences: no audit event) --------------------------------------------


def save_filter(user, name: str, querystring: str) -> SavedFilter:
    name = (name or "").strip()[:80]
    if not name:
        raise TransitionRefused("condition", "Donnez un nom au filtre.")
    querystring = (querystring or "").lstrip("?")[:2000]
    saved, _ = SavedFilter.objects.update_or_create(
        user=user, name=name, defaults={"querystring": querystring}
    )
    return saved


def delete_filter(user, pk) -> None:
    SavedFilter.objects.filter(user=user, pk=pk).delete()


# ---- what the page offers ------------------------------------------------------------------


def instruction_actions(dossier, user, *, conflicted: bool | None = None) -> list[dict]:
    """``services.available_transitions`` minus what a declared conflict forbids (``conflicted``:
    the caller's ``has_conflict(user, dossier.commune_id)`` when it has it, to skip the query)."""
    actions = available_transitions(dossier, user)
    if conflicted is None and actions:
        conflicted = has_conflict(user, dossier.commune_id)
    if actions and conflicted:
        actions = [a for a in actions if a["name"] not in CONFLICT_GUARDED]
    return actions
