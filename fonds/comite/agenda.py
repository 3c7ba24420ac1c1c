"""A dossier is in committee only on an agenda, and decided only in a sitting: hooks on its
transitions (registered by ``ComiteConfig.ready``) keep the rule on every path. ``schedule``
needs a planned or convened session (ranks the dossier, recuses its instructor); ``unschedule``
takes it off an agenda not yet sat; ``approve`` / ``reject`` / ``waitlist`` / ``defer`` need the
dossier's undecided item in a sitting, its vote closed (the committee's ``decide`` only)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Exists, F, Max, OuterRef

from fonds.audit import chain as audit
from fonds.dossiers import services as dossier_services
from fonds.dossiers.models import Dossier
from fonds.dossiers.services import TransitionRefused
from fonds.dossiers.states import Forum, Status
from fonds.instruction.models import Assessment

from .models import AgendaItem, ConflictDeclaration, Session

#: sessions whose agenda may still change
AGENDA_OPEN = (Session.Status.PLANNED, Session.Status.CONVENED)
#: sessions whose agenda keeps a dossier "in committee" (not closed)
AGENDA_LIVE = (
    Session.Status.PLANNED,
    Session.Status.CONVENED,
    Session.Status.SITTING,
    Session.Status.ADJOURNED,
)
DECISIONS = ("approve", "reject", "waitlist", "defer")


def _session_id(value) -> int | None:
    if isinstance(value, Session):
        return value.pk
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def open_sessions(campaign_id: int):
    """The sessions of a campaign a dossier can be put on: planned or convened, not taking over an
    adjourned session's agenda; soonest first."""
    return Session.objects.filter(
        campaign_id=campaign_id, status__in=AGENDA_OPEN, follows__isnull=True
    ).order_by("starts_at", "pk")


def _pending_item(dossier_id: int) -> AgendaItem | None:
    return (
        AgendaItem.objects.select_related("session")
        .filter(dossier_id=dossier_id, outcome="", session__status__in=AGENDA_LIVE)
        .order_by("-session__starts_at", "-pk")
        .first()
    )


def rerank(session_id: int) -> None:
    """Ranks of the session's items: total score (desc), then smaller population, then dossier id.
    Two passes, as ``(session, rank)`` is unique."""
    items = list(
        AgendaItem.objects.filter(session_id=session_id).order_by(
            F("score_total").desc(nulls_last=True), F("population").asc(nulls_last=True), "dossier_id"
        )
    )
    if not items:
        return
    AgendaItem.objects.filter(session_id=session_id).update(rank=F("rank") + 1_000_000)
    for rank, item in enumerate(items, start=1):
        item.rank = rank
    AgendaItem.objects.bulk_update(items, ["rank"], batch_size=500)


# ---- schedule ----------------------------------------------------------------------------------


def prepare_schedule(dossier, by, data):
    session_id = _session_id(data.get("session"))
    if session_id is None:
        raise TransitionRefused(
            "condition",
            "Choisissez la séance du comité à l'ordre du jour de laquelle inscrire le dossier.",
            rules=["session"],
        )
    session = Session.objects.select_for_update().filter(pk=session_id).first()
    if session is None or session.campaign_id != dossier.campaign_id:
        raise TransitionRefused(
            "condition", "Séance introuvable pour la campagne de ce dossier.", rules=["session"]
        )
    if session.status not in AGENDA_OPEN:
        raise TransitionRefused(
            "condition",
            f"La séance est « {session.get_status_display().lower()} » : son ordre du jour ne peut plus "
            "changer.",
            rules=["session"],
        )
    if session.follows_id:
        raise TransitionRefused(
            "condition",
            "Cette séance reprend l'ordre du jour d'une séance ajournée : il ne peut pas être modifié.",
            rules=["session"],
        )
    return {"session": session.pk}


def _place(pairs, session_id: int, by) -> list[AgendaItem]:
    """Put ``pairs`` ``[(dossier, kwargs)]`` on the agenda of ``session_id``, then rank the agenda;
    each ``kwargs`` gets the dossier's rank (written to its audit event)."""
    scores = dict(
        Assessment.objects.filter(dossier_id__in=[d.pk for d, _ in pairs]).values_list(
            "dossier_id", "score_total"
        )
    )
    start = AgendaItem.objects.filter(session_id=session_id).aggregate(m=Max("rank"))["m"] or 0
    items = AgendaItem.objects.bulk_create(
        [
            AgendaItem(
                session_id=session_id,
                dossier=dossier,
                rank=start + n,
                score_total=scores.get(dossier.pk),
                population=dossier.commune.population,
                proposed_amount=dossier.proposed_amount,
                amount=dossier.proposed_amount,
            )
            for n, (dossier, _) in enumerate(pairs, start=1)
        ]
    )
    session = Session.objects.get(pk=session_id)
    members = set(session.members.values_list("pk", flat=True)) | {session.chair_id}
    ConflictDeclaration.objects.bulk_create(
        [
            ConflictDeclaration(
                item=item,
                member_id=item.dossier.instructor_id,
                reason="Instructeur du dossier : déport d'office.",
                automatic=True,
            )
            for item in items
            if item.dossier.instructor_id in members
        ]
    )
    rerank(session_id)
    ranks = dict(AgendaItem.objects.filter(session_id=session_id).values_list("dossier_id", "rank"))
    for dossier, kwargs in pairs:
        kwargs["rank"] = ranks[dossier.pk]
    return items


def place_on_agenda(dossier, by, kwargs, motivation):
    _place([(dossier, kwargs)], kwargs["session"], by)


def place_many_on_agenda(pairs, by, motivation):
    by_session: dict[int, list] = {}
    for dossier, kwargs in pairs:
        by_session.setdefault(kwargs["session"], []).append((dossier, kwargs))
    for session_id, group in by_session.items():
        _place(group, session_id, by)


# ---- unschedule --------------------------------------------------------------------------------


def prepare_unschedule(dossier, by, data):
    item = _pending_item(dossier.pk)
    if item is None:
        if by is None:
            return {"session": None}  # the system repairs a dossier left in committee without agenda
        raise TransitionRefused(
            "condition", "Le dossier n'est à l'ordre du jour d'aucune séance.", rules=["session"]
        )
    if item.session.status not in AGENDA_OPEN:
        raise TransitionRefused(
            "condition",
            f"La séance est « {item.session.get_status_display().lower()} » : seul le comité peut ajourner "
            "ce "
            "dossier, en séance.",
            rules=["session"],
        )
    return {"session": item.session_id, "item": item.pk, "rank": item.rank}


def take_off_agenda(dossier, by, kwargs, motivation):
    if kwargs.get("item") is None:
        return
    AgendaItem.objects.filter(pk=kwargs["item"]).delete()  # its conflict declarations go with it
    rerank(kwargs["session"])


# ---- the invariant: in committee only on an agenda --------------------------------------------


def orphans():
    """Dossiers ``in_committee`` without an undecided agenda item of a session that is not closed
    (the invariant ``/sante/`` checks and ``repair_committee_agenda`` repairs), by id."""
    live = AgendaItem.objects.filter(dossier_id=OuterRef("pk"), outcome="", session__status__in=AGENDA_LIVE)
    return Dossier.objects.filter(status=Status.IN_COMMITTEE).filter(~Exists(live)).order_by("pk")


REPAIR_MOTIVATION = (
    "Réparation : le dossier était « en comité » sans figurer à l'ordre du jour d'une séance non close ; "
    "il repasse « instruit » pour être inscrit à l'ordre du jour d'une séance."
)


def repair_orphans(*, dry_run: bool = False) -> tuple[list[str], list[tuple[str, str]]]:
    """Put every orphan back to ``instructed`` through ``perform(d, "unschedule", by=None,
    forum=Forum.SYSTEM)`` — one transaction and one audit event per dossier — then record the run
    (``comite_agenda_repaired``: the references repaired and refused). ``dry_run``: list only.
    Returns ``(repaired references, [(reference, refusal)])``."""

    found = list(orphans().values_list("pk", "reference"))
    if dry_run:
        return [ref for _, ref in found], []
    repaired, refused = [], []
    for pk, reference in found:
        try:
            dossier_services.perform(
                pk, "unschedule", by=None, forum=Forum.SYSTEM, motivation=REPAIR_MOTIVATION
            )
        except TransitionRefused as exc:  # changed meanwhile (e.g. scheduled again): left as it is
            refused.append((reference, exc.message))
        else:
            repaired.append(reference)
    if found:
        with transaction.atomic():
            audit.append(
                "comite_agenda_repaired",
                actor=None,
                role=audit.SYSTEM,
                obj=("comite.agenda", "repair"),
                payload={"repaired": repaired, "refused": [ref for ref, _ in refused]},
            )
    return repaired, refused


# ---- decisions: only in a sitting --------------------------------------------------------------


def require_sitting(dossier, by, data):
    """approve / reject / waitlist / defer: the dossier's undecided item of a sitting session."""
    item = (
        AgendaItem.objects.select_related("session")
        .filter(pk=data.get("item") or 0, dossier_id=dossier.pk)
        .first()
    )
    if item is None or item.session.status != Session.Status.SITTING or item.outcome:
        raise TransitionRefused(
            "forum",
            "Une décision du comité ne se prend qu'en séance, sur un point de l'ordre du jour non encore "
            "décidé.",
            code="forum_committee_sitting",
        )
    if item.vote_state == AgendaItem.VoteState.OPEN:
        raise TransitionRefused(
            "status", "Le vote sur ce dossier est ouvert : clôturez-le d'abord.", rules=["vote"]
        )
    return {}


def require_closed_vote(dossier, by, data):
    """approve / reject / waitlist follow a vote (defer does not need one)."""
    item = AgendaItem.objects.filter(pk=data.get("item") or 0).only("vote_state").first()
    if item is None or item.vote_state != AgendaItem.VoteState.CLOSED:
        raise TransitionRefused(
            "status", "Le vote sur ce dossier n'est pas clos : la décision suit le vote.", rules=["vote"]
        )
    return {}


def register() -> None:
    """Register the hooks (idempotent; from ``ComiteConfig.ready``)."""
    dossier_services.preparer("schedule", order=20)(prepare_schedule)
    dossier_services.after("schedule", many=place_many_on_agenda)(place_on_agenda)
    dossier_services.preparer("unschedule", order=20)(prepare_unschedule)
    dossier_services.after("unschedule")(take_off_agenda)
    for name in DECISIONS:
        dossier_services.preparer(name, order=5)(require_sitting)
    for name in ("approve", "reject", "waitlist"):
        dossier_services.preparer(name, order=6)(require_closed_vote)
