"""One dossier's life up to its status: the dossier row, its eligibility runs (E1–E9 verdicts,
overrides), drafting and instruction (edits, pieces, scores, assessment, amount, messages,
correction requests) and their audit events. The committee and the money: ``decisions``."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from fonds.accounts.models import User
from fonds.accounts.roles import Role
from fonds.dossiers.models import CorrectionRequest, Dossier, Message
from fonds.dossiers.states import Status as S
from fonds.eligibilite.models import EligibilityRun, Verdict
from fonds.instruction.models import AmountProposal, Assessment, EligibilityOverride, Score

from . import decisions
from .cast import Cast
from .chunk import Chunk
from .keys import Keys
from .paths import GRANTED, OUTCOME_OF, PATHS, ROLE_OF, TARGETS, TITLES

CODES = [f"E{n}" for n in range(1, 10)]
#: (code, label, max points, automatic) of the default scoring grid
CRITERIA = [
    ("participation", 25),
    ("inclusion", 20),
    ("quality", 20),
    ("territorial", 15),
    ("low_carbon", 10),
    ("budget", 10),
]
EDIT_STEPS = ["projet", "jumelage", "participants", "programme", "budget", "pieces"]
PIECES = ["delib", "programme", "budget", "attestation_partenaire", "liste_participants", "rib"]


@dataclass
class Ctx:
    cast: Cast
    keys: Keys
    rng: random.Random
    now: dt.datetime
    ranks: dict[int, int] = field(default_factory=dict)


def _run(chunk: Chunk, ctx: Ctx, d: Dossier, moment: str, at, by, fail: str = "") -> list[Verdict]:
    run = chunk.add(
        EligibilityRun(
            pk=ctx.keys.take(EligibilityRun),
            dossier_id=d.pk,
            moment=moment,
            rules_version=1,
            ran_at=at,
            ran_by=by,
        )
    )
    verdicts = []
    for code in CODES:
        result = Verdict.Result.FAIL if code == fail else Verdict.Result.PASS
        if code == "E9" and ctx.rng.random() < 0.3:
            result = Verdict.Result.NOT_APPLICABLE
        verdicts.append(
            chunk.add(
                Verdict(
                    pk=ctx.keys.take(Verdict),
                    run_id=run.pk,
                    code=code,
                    result=result,
                    blocking=code != "E9",
                    explanation=f"Règle {code} : {'non ' if result == Verdict.Result.FAIL else ''}respectée.",
                    how_to_fix="Compléter le dossier." if result == Verdict.Result.FAIL else "",
                    data={"population": ctx.cast.population[d.commune_id]} if code == "E1" else {},
                )
            )
        )
    chunk.event(
        "eligibility_checked",
        at,
        by,
        Role.INSTRUCTEUR if by is not None else "system",
        ("dossiers.dossier", d.pk),
        {"reference": d.reference, "moment": moment, "failures": [fail] if fail else []},
    )
    return verdicts


def _drafting(chunk: Chunk, ctx: Ctx, d: Dossier, porteur, until) -> None:
    rng, obj = ctx.rng, ("dossiers.dossier", d.pk)
    chunk.event("create_draft", d.created_at, porteur, Role.PORTEUR, obj, {"reference": d.reference})
    span = max((until - d.created_at).total_seconds(), 60)
    for _ in range(rng.randint(20, 60)):  # the wizard saves each step, many times
        step = rng.choice(EDIT_STEPS)
        at = d.created_at + dt.timedelta(seconds=rng.uniform(0, span))
        chunk.event(
            "update_content", at, porteur, Role.PORTEUR, obj, {"reference": d.reference, "step": step}
        )
    for piece in rng.sample(PIECES, rng.randint(3, len(PIECES))):
        at = d.created_at + dt.timedelta(seconds=rng.uniform(0, span))
        payload = {"reference": d.reference, "kind": piece, "sha256": f"{rng.getrandbits(256):064x}"}
        chunk.event("document_uploaded", at, porteur, Role.PORTEUR, obj, payload)


def _instruction(chunk: Chunk, ctx: Ctx, d: Dossier, instructor, at, complete: bool) -> int:
    rng, obj = ctx.rng, ("dossiers.dossier", d.pk)
    chunk.event("assign_instructor", at, instructor, Role.INSTRUCTEUR, obj, {"reference": d.reference})
    scored = CRITERIA if complete else rng.sample(CRITERIA, rng.randint(0, len(CRITERIA)))
    total = 0
    for criterion, top in scored:
        points = rng.randint(top // 3, top)
        total += points
        at += dt.timedelta(minutes=rng.randint(5, 90))
        auto = criterion == "territorial"
        chunk.add(
            Score(
                dossier_id=d.pk,
                criterion=criterion,
                points=points,
                comment="" if auto else "Appréciation de l'instructeur.",
                automatic=auto,
                rules_version=1,
                by=None if auto else instructor,
                at=at,
            )
        )
        chunk.event(
            "scores_recorded",
            at,
            None if auto else instructor,
            "system" if auto else Role.INSTRUCTEUR,
            obj,
            {"reference": d.reference, "criterion": criterion, "points": points},
        )
    if complete:
        formula = (d.requested_amount * Decimal("0.8")).quantize(Decimal("1"))
        amended = rng.random() < 0.15
        d.proposed_amount = formula - 500 if amended and formula > 1500 else formula
        chunk.add(
            AmountProposal(
                dossier_id=d.pk,
                formula_amount=formula,
                amount=d.proposed_amount,
                amended=d.proposed_amount != formula,
                motivation="Budget de transport surévalué." if d.proposed_amount != formula else "",
                breakdown={"base": str(formula), "cap": "15000"},
                rules_version=1,
                by=instructor,
                at=at,
            )
        )
        chunk.event(
            "amount_proposed",
            at,
            instructor,
            Role.INSTRUCTEUR,
            obj,
            {"reference": d.reference, "amount": str(d.proposed_amount)},
        )
    d._score_total = total if scored else None
    chunk.add(
        Assessment(
            dossier_id=d.pk,
            score_total=total if scored else None,
            scored_criteria=len(scored),
            complete=complete,
            suggestion=("favorable" if total >= 60 else "defavorable") if complete else "",
            amount_proposed=d.proposed_amount,
        )
    )
    return total


def _messages(chunk: Chunk, ctx: Ctx, d: Dossier, porteur, instructor, start, end) -> None:
    rng = ctx.rng
    span = max((end - start).total_seconds(), 60)
    for _ in range(rng.choice((0, 0, 1, 1, 2, 3, 5))):
        fund = instructor is not None and rng.random() < 0.5
        at = start + dt.timedelta(seconds=rng.uniform(0, span))
        m = chunk.add(
            Message(
                pk=ctx.keys.take(Message),
                dossier_id=d.pk,
                author_id=instructor.pk if fund else porteur.pk,
                body="Pouvez-vous préciser le programme ?" if fund else "Voici les précisions demandées.",
                created_at=at,
                side=Message.Side.FUND if fund else Message.Side.COMMUNE,
                sha256=f"{rng.getrandbits(256):064x}",
            )
        )
        role = Role.INSTRUCTEUR if fund else Role.PORTEUR
        chunk.event(
            "message_posted",
            at,
            instructor if fund else porteur,
            role,
            ("dossiers.dossier", d.pk),
            {"reference": d.reference, "message": m.pk, "sha256": m.sha256},
        )


def live(chunk: Chunk, ctx: Ctx, campaign, code: str) -> None:
    """One dossier of ``campaign`` for commune ``code``, in a status drawn as a campaign's."""
    rng, cast = ctx.rng, ctx.cast
    statuses = list(PATHS)
    status = rng.choices(statuses, [PATHS[s][0] for s in statuses])[0]
    path = PATHS[status][1]
    if status == S.CLOSED and rng.random() < 0.2:  # closed once the commune paid back the overpaid advance
        path = [*path, "recover"]
    pk = ctx.keys.take(Dossier)
    created_at = min(campaign.opens_at + dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 80)), ctx.now)
    submitted_at = created_at + dt.timedelta(hours=rng.randrange(24, 400)) if path else None
    instructor = rng.choice(cast.instructors) if "start_instruction" in path else None
    porteur = User(pk=cast.porteurs[code], email=f"mairie-{code}-{cast.tag}@bench.fjj.fr")
    d = chunk.add(
        Dossier(
            pk=pk,
            reference=f"FJJ-{campaign.year}-{pk:06d}",
            campaign=campaign,
            commune_id=code,
            created_by_id=porteur.pk,
            status=status,
            title=rng.choice(TITLES),
            summary="Jeu de données de banc d'essai.",
            created_at=created_at,
            submitted_at=submitted_at,
            instructor=instructor,
            requested_amount=Decimal(rng.randrange(1000, 15000)),
            rules_version=1,
            youth_ages=[14, 15, 16, 17],
            leader_ages=[40],
            distance_km=rng.randrange(50, 2500),
            nights=rng.randrange(3, 10),
        )
    )
    _drafting(chunk, ctx, d, porteur, submitted_at or created_at + dt.timedelta(days=10))
    _run(
        chunk,
        ctx,
        d,
        EligibilityRun.Moment.PREVIEW,
        (submitted_at or created_at) - dt.timedelta(hours=1),
        None,
    )
    at, source, obj = submitted_at or created_at, S.DRAFT, ("dossiers.dossier", pk)
    decided_at = at
    for step, name in enumerate(path):
        at += dt.timedelta(days=rng.randint(1, 12), minutes=rng.randint(0, 600))
        if name == "submit":
            at = submitted_at
            _run(
                chunk,
                ctx,
                d,
                EligibilityRun.Moment.SUBMISSION,
                at,
                None,
                fail="E2" if status == S.INELIGIBLE else "",
            )
            chunk.event("receipt_sent", at, None, "system", obj, {"reference": d.reference})
        elif name == "start_instruction":
            failed = rng.random() < 0.06
            verdicts = _run(
                chunk,
                ctx,
                d,
                EligibilityRun.Moment.START_INSTRUCTION,
                at,
                instructor,
                fail="E5" if failed else "",
            )
            if failed:  # the instructor sets the failed verdict aside, with a motivation
                v = next(v for v in verdicts if v.code == "E5")
                chunk.add(
                    EligibilityOverride(
                        dossier_id=pk,
                        verdict_id=v.pk,
                        code="E5",
                        data={},
                        motivation="Partenariat attesté par courrier.",
                        rules_version=1,
                        by=instructor,
                        at=at,
                    )
                )
                chunk.event(
                    "eligibility_overridden",
                    at,
                    instructor,
                    Role.INSTRUCTEUR,
                    obj,
                    {"reference": d.reference, "code": "E5"},
                )
            _instruction(chunk, ctx, d, instructor, at, complete="complete_instruction" in path)
        elif name == "request_corrections":
            request = chunk.add(
                CorrectionRequest(
                    pk=ctx.keys.take(CorrectionRequest),
                    dossier_id=pk,
                    requested_by=instructor,
                    message="Merci de joindre la délibération signée.",
                    documents=["delib"],
                    deadline=at + dt.timedelta(days=15),
                    created_at=at,
                )
            )
            d.corrections_due = request.deadline
            chunk.add(
                Message(
                    pk=ctx.keys.take(Message),
                    dossier_id=pk,
                    author_id=instructor.pk,
                    body=request.message,
                    created_at=at,
                    side=Message.Side.FUND,
                    kind=Message.Kind.CORRECTION_REQUEST,
                    correction_id=request.pk,
                )
            )
        elif name == "schedule":
            at, decided_at = decisions.committee(chunk, ctx, d, campaign, path, at)
        elif name in OUTCOME_OF:
            at = decided_at
        elif name in ("accept_agreement", "pay_advance", "settle"):
            at = decisions.money(chunk, ctx, d, campaign, name, status, at, recovered="recover" in path)
        role = ROLE_OF.get(name, Role.INSTRUCTEUR)
        actor = {
            Role.PORTEUR: porteur,
            "system": None,
            Role.COMITE: cast.members[0],
            Role.FINANCE: cast.finance,
        }.get(role, instructor)
        target = status if step == len(path) - 1 else TARGETS[name]
        payload = {
            "reference": d.reference,
            "from": source,
            "to": target,
            "motivation": "",
            "data": {},
            "rules_version": 1,
            "seed_bench": True,
        }
        chunk.event(name, at, actor, role, obj, payload)
        source = target
    if path:
        _messages(
            chunk, ctx, d, porteur, instructor, submitted_at, max(at, submitted_at + dt.timedelta(days=1))
        )
    if status in GRANTED:
        d.approved_amount = d.proposed_amount
    if status == S.APPROVED:
        d.agreement_due = ctx.now + dt.timedelta(days=rng.randrange(-5, 40))
    if status == S.ADVANCE_PAID:
        d.report_due = (ctx.now + dt.timedelta(days=rng.randrange(-30, 200))).date()
