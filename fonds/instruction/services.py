"""Every change the instruction makes, each in ONE transaction with its audit event.

    override_verdict(dossier, verdict_id, by=, motivation=)       set aside a failed E-rule
    recheck_eligibility(dossier, by=)                              run E1–E9 on demand
    record_scores(dossier, by=, scores={code: (points, comment)})  the grid (automatic ones computed)
    propose_amount(dossier, by=, amount=None, motivation="")       the formula, or an amendment
    add_note(dossier, by=, body=)                                  private note (staff only)
    send_message(dossier, by=, body=)                              message to the porteur
    declare_conflict(user, commune, motivation=)                   a link with a commune
    save_filter / delete_filter                                    list preferences (not audited)

Reads for the pages: ``eligibility_view``, ``grid_for``, ``current_proposal``, ``has_conflict``,
``instruction_actions``.

Refusals raise ``fonds.dossiers.services.TransitionRefused`` (kind ``role`` / ``status`` /
``condition`` / ``motivation`` / ``not_found``) with a French message, like ``perform``.
Only instructors write (``Role.INSTRUCTEUR``); an instructor who declared a link with the
dossier's commune may not (``role``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef

from fonds import clock
from fonds.accounts.roles import Role, has_role
from fonds.audit import chain as audit
from fonds.dossiers.access import can_see
from fonds.dossiers.models import Dossier, Message
from fonds.dossiers.services import TransitionRefused, available_transitions
from fonds.dossiers.states import Status
from fonds.eligibilite.engine import run_checks
from fonds.eligibilite.models import EligibilityRun, Verdict

from . import grid
from .amount import award_bounds, check_award_amount, grant_for_dossier, parse_amount
from .models import (
    AmountProposal,
    Assessment,
    EligibilityOverride,
    InstructorConflict,
    PrivateNote,
    SavedFilter,
    Score,
)

S = Status
#: statuses in which the instruction data (overrides, scores, amount) may change
INSTRUCTING = frozenset({S.IN_INSTRUCTION})
#: statuses in which notes and messages may be written (after the deposit, before the end)
CORRESPONDENCE = frozenset(set(S.values) - {S.DRAFT})
#: the transitions an instructor with a declared link may not fire (see hooks.py)
CONFLICT_GUARDED = (
    "start_instruction",
    "request_corrections",
    "complete_instruction",
    "declare_ineligible",
    "reopen_instruction",
    "schedule",
)


# ---- checks -------------------------------------------------------------------------------


def has_conflict(user, commune_id) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return InstructorConflict.objects.filter(user=user, commune_id=commune_id).exists()


def conflict_exists(user):
    """``has_conflict``'s condition as an ``EXISTS`` on the dossier rows of the query it annotates:
    the check read with the dossier instead of by a query of its own."""
    return Exists(InstructorConflict.objects.filter(user=user, commune_id=OuterRef("commune_id")))


def conflict_message(dossier) -> str:
    return (
        f"Vous avez déclaré un lien avec la commune {dossier.commune.name} ({dossier.commune_id}) : "
        "vous ne pouvez pas instruire ses dossiers. Un autre instructeur doit s'en charger."
    )


def check_no_conflict(user, dossier) -> None:
    if has_conflict(user, dossier.commune_id):
        raise TransitionRefused("role", conflict_message(dossier))


def _lock(dossier, by, *, statuses=None, action: str = "Cette action") -> Dossier:
    """Lock the dossier row; check visibility, the instructor role, conflicts and the status."""
    pk = dossier.pk if isinstance(dossier, Dossier) else dossier
    qs = Dossier.objects.select_for_update().select_related("campaign", "commune").filter(pk=pk)
    signed_in = getattr(by, "is_authenticated", False)
    if signed_in:  # the conflict check in the same query (``has_conflict``'s condition)
        qs = qs.annotate(by_conflicted=conflict_exists(by))
    locked = qs.first()
    if locked is None or not can_see(by, locked):
        raise TransitionRefused("not_found", "Dossier introuvable.")
    if not has_role(by, Role.INSTRUCTEUR):
        raise TransitionRefused("role", f"{action} est réservée aux instructeurs.")
    if signed_in and locked.by_conflicted:
        raise TransitionRefused("role", conflict_message(locked))
    if statuses is not None and locked.status not in statuses:
        raise TransitionRefused(
            "status", f"{action} n'est pas possible : le dossier est « {locked.get_status_display()} »."
        )
    return locked


def _text(value, name: str, *, required: bool = True, max_length: int = 5000) -> str:
    text = (value or "").strip()
    if required and not text:
        raise TransitionRefused("motivation", f"{name} est obligatoire.")
    if len(text) > max_length:
        raise TransitionRefused("condition", f"{name} : {max_length} caractères au plus.")
    return text


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _role(user) -> str:
    return Role.INSTRUCTEUR


# ---- eligibility: latest run, overrides ----------------------------------------------------


@dataclass
class VerdictRow:
    verdict: Verdict
    override: EligibilityOverride | None

    @property
    def failed(self) -> bool:
        return self.verdict.result == Verdict.Result.FAIL

    @property
    def settled(self) -> bool:
        """Pass, not applicable, or failed but overridden."""
        return not self.failed or self.override is not None


@dataclass
class EligibilityView:
    run: EligibilityRun | None
    rows: list[VerdictRow]

    @property
    def unsettled(self) -> list[VerdictRow]:
        return [r for r in self.rows if not r.settled]

    @property
    def all_settled(self) -> bool:
        return self.run is not None and not self.unsettled


def latest_run(dossier) -> EligibilityRun | None:
    return EligibilityRun.objects.filter(dossier=dossier).order_by("-ran_at", "-id").first()


def eligibility_view(dossier) -> EligibilityView:
    """The latest stored run's verdicts, each with the override that applies to it (if any).

    An override applies to the verdict it was made on, and to a failed verdict of the same rule in
    a later run when the data the rule used are unchanged. Two queries.
    """
    run = latest_run(dossier)
    if run is None:
        return EligibilityView(None, [])
    verdicts = list(run.verdicts.all())
    overrides = list(
        EligibilityOverride.objects.filter(dossier=dossier).select_related("by").order_by("-at", "-id")
    )
    rows = []
    for v in verdicts:
        found = None
        if v.result == Verdict.Result.FAIL:
            found = next((o for o in overrides if o.verdict_id == v.pk), None) or next(
                (o for o in overrides if o.code == v.code and o.data == v.data), None
            )
        rows.append(VerdictRow(v, found))
    return EligibilityView(run, rows)


def override_verdict(dossier, verdict_id, *, by, motivation: str) -> EligibilityOverride:
    """Set aside a failed verdict of the latest run, with a written motivation (audited)."""
    motivation = _text(motivation, "La motivation de la dérogation")
    with transaction.atomic():
        locked = _lock(dossier, by, statuses=INSTRUCTING, action="La dérogation à une règle d'éligibilité")
        view = eligibility_view(locked)
        row = next((r for r in view.rows if str(r.verdict.pk) == str(verdict_id)), None)
        if row is None:
            raise TransitionRefused(
                "condition",
                "Ce verdict n'appartient pas au dernier contrôle d'éligibilité du dossier : rechargez la "
                "page.",
            )
        if not row.failed:
            raise TransitionRefused(
                "condition", f"La règle {row.verdict.code} est respectée : il n'y a rien à écarter."
            )
        if row.override is not None:
            raise TransitionRefused(
                "condition", f"La règle {row.verdict.code} a déjà fait l'objet d'une dérogation."
            )
        override = EligibilityOverride.objects.create(
            dossier=locked,
            verdict=row.verdict,
            code=row.verdict.code,
            data=row.verdict.data,
            motivation=motivation,
            rules_version=view.run.rules_version,
            by=by,
        )
        audit.append(
            "eligibility_overridden",
            actor=by,
            role=_role(by),
            obj=locked,
            payload={
                "reference": locked.reference,
                "override": override.pk,
                "run": view.run.pk,
                "verdict": row.verdict.pk,
                "code": row.verdict.code,
                "explanation": row.verdict.explanation,
                "motivation": motivation,
                "rules_version": view.run.rules_version,
            },
        )
    return override


def recheck_eligibility(dossier, *, by) -> EligibilityRun:
    """Run E1–E9 again on demand (stored, audited by the engine)."""

    with transaction.atomic():
        locked = _lock(
            dossier,
            by,
            statuses={S.SUBMITTED, S.IN_INSTRUCTION, S.CORRECTIONS_REQUESTED},
            action="Le contrôle d'éligibilité",
        )
        return run_checks(locked, moment=EligibilityRun.Moment.ON_DEMAND, by=by)


# ---- the grid --------------------------------------------------------------------------------


def stored_points(dossier) -> dict[str, int]:
    return dict(Score.objects.filter(dossier=dossier).values_list("criterion", "points"))


def grid_for(dossier, params: dict | None = None) -> grid.GridResult:
    params = params or dossier.campaign.rules.params
    return grid.evaluate(stored_points(dossier), params)


def _automatic_scores(locked, by, ruleset) -> dict:
    """(Re)compute and store every automatic criterion; returns ``{code: {points, comment}}`` changed."""
    changed = {}
    crit = grid.criterion(ruleset.params, grid.TERRITORIAL)
    if crit is None or not crit.automatic:
        return changed
    points, text = grid.territorial_points(
        locked.commune.population, locked.commune.is_overseas, ruleset.params
    )
    score = Score.objects.filter(dossier=locked, criterion=crit.code).first()
    if (
        score is None
        or score.points != points
        or score.comment != text
        or score.rules_version != ruleset.version
    ):
        Score.objects.update_or_create(
            dossier=locked,
            criterion=crit.code,
            defaults={
                "points": points,
                "comment": text,
                "automatic": True,
                "rules_version": ruleset.version,
                "by": by,
                "at": clock.now(),
            },
        )
        changed[crit.code] = {
            "points": points,
            "comment": text,
            "previous": None if score is None else score.points,
            "automatic": True,
        }
    return changed


def _refresh_assessment(locked, params) -> grid.GridResult:
    result = grid_for(locked, params)
    Assessment.objects.update_or_create(
        dossier=locked,
        defaults={
            "score_total": result.total if any(r.scored for r in result.results) else None,
            "scored_criteria": sum(1 for r in result.results if r.scored),
            "complete": result.complete,
            "suggestion": result.suggestion or "",
        },
    )
    return result


def record_scores(dossier, *, by, scores: dict) -> grid.GridResult:
    """Record the instructor's points and comments (``{code: (points, comment)}``; a criterion
    left out keeps its current value), recompute the automatic ones; one audit event."""
    with transaction.atomic():
        locked = _lock(dossier, by, statuses=INSTRUCTING, action="La notation")
        ruleset = locked.campaign.rules
        crits = {c.code: c for c in grid.criteria(ruleset.params)}
        errors, clean = [], {}
        for code, entry in (scores or {}).items():
            crit = crits.get(code)
            if crit is None:
                errors.append(f"Critère inconnu : « {code} ».")
                continue
            if crit.automatic:
                errors.append(f"« {crit.label} » est calculé automatiquement.")
                continue
            points, comment = entry
            problem = grid.validate_points(crit, points)
            comment = (comment or "").strip()
            if problem:
                errors.append(problem)
            elif not comment:
                errors.append(f"« {crit.label} » : un commentaire justifie la note.")
            elif len(comment) > 4000:
                errors.append(f"« {crit.label} » : 4 000 caractères au plus pour le commentaire.")
            else:
                clean[code] = (points, comment)
        if errors:
            raise TransitionRefused("condition", " ".join(errors))
        existing = {s.criterion: s for s in Score.objects.filter(dossier=locked)}
        changed = _automatic_scores(locked, by, ruleset)
        now = clock.now()
        for code, (points, comment) in clean.items():
            previous = existing.get(code)
            if previous is not None and previous.points == points and previous.comment == comment:
                continue
            Score.objects.update_or_create(
                dossier=locked,
                criterion=code,
                defaults={
                    "points": points,
                    "comment": comment,
                    "automatic": False,
                    "rules_version": ruleset.version,
                    "by": by,
                    "at": now,
                },
            )
            changed[code] = {
                "points": points,
                "comment": comment,
                "previous": None if previous is None else previous.points,
            }
        result = _refresh_assessment(locked, ruleset.params)
        if changed:
            audit.append(
                "scores_recorded",
                actor=by,
                role=_role(by),
                obj=locked,
                payload={
                    "reference": locked.reference,
                    "scores": changed,
                    "grid": result.as_dict(),
                    "rules_version": ruleset.version,
                },
            )
    return result


def ensure_automatic_scores(locked, by) -> dict:
    """Inside a caller's transaction (the complete_instruction preparer): store missing or stale
    automatic scores; returns what changed (written to the caller's audit payload)."""
    ruleset = locked.campaign.rules
    changed = _automatic_scores(locked, by, ruleset)
    if changed:
        _refresh_assessment(locked, ruleset.params)
    return changed


# ---- amount ------------------------------------------------------------------------------


def current_proposal(dossier) -> AmountProposal | None:
    return AmountProposal.objects.filter(dossier=dossier).select_related("by").order_by("-at", "-id").first()


def propose_amount(dossier, *, by, amount=None, motivation: str = "") -> AmountProposal:
    """Store the formula's amount (``amount`` None) or the instructor's amendment (motivated).

    Any amount lies within ``amount.award_bounds`` (1,000 € to the formula's caps: the fund's
    cap, 80 % of eligible costs, the requested amount, T + S + O), or is 0 € (no grant)."""
    motivation = (motivation or "").strip()
    with transaction.atomic():
        locked = _lock(dossier, by, statuses=INSTRUCTING, action="La proposition de montant")
        ruleset = locked.campaign.rules
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
        audit.append(
            "amount_proposed",
            actor=by,
            role=_role(by),
            obj=locked,
            payload={
                "reference": locked.reference,
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


# ---- notes, messages -------------------------------------------------------------------------


def add_note(dossier, *, by, body: str) -> PrivateNote:
    """A private note: the audit event is about the note (not the dossier's public timeline) and
    holds its fingerprint, not its text."""
    body = _text(body, "La note", max_length=5000)
    with transaction.atomic():
        locked = _lock(dossier, by, statuses=CORRESPONDENCE, action="La note interne")
        note = PrivateNote.objects.create(dossier=locked, author=by, body=body)
        audit.append(
            "private_note_added",
            actor=by,
            role=_role(by),
            obj=note,
            payload={
                "dossier": locked.pk,
                "reference": locked.reference,
                "sha256": _digest(body),
                "length": len(body),
            },
        )
    return note


def send_message(dossier, *, by, body: str) -> Message:
    body = _text(body, "Le message", max_length=5000)
    with transaction.atomic():
        locked = _lock(dossier, by, statuses=CORRESPONDENCE, action="Le message au porteur")
        message = Message.objects.create(dossier=locked, author=by, body=body)
        audit.append(
            "message_sent",
            actor=by,
            role=_role(by),
            obj=locked,
            payload={
                "reference": locked.reference,
                "message": message.pk,
                "sha256": _digest(body),
                "length": len(body),
            },
        )
    return message


# ---- conflicts of interest ------------------------------------------------------------------


def declare_conflict(user, commune, *, motivation: str) -> InstructorConflict:
    """Declare a link with a commune (audited). From then on the user cannot instruct its dossiers."""
    motivation = _text(motivation, "La nature du lien", max_length=2000)
    if not has_role(user, Role.INSTRUCTEUR):
        raise TransitionRefused("role", "Seuls les instructeurs déclarent ici un lien avec une commune.")
    try:
        with transaction.atomic():
            conflict = InstructorConflict.objects.create(user=user, commune=commune, motivation=motivation)
            audit.append(
                "conflict_declared",
                actor=user,
                role=_role(user),
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
