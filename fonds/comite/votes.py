"""The votes of a sitting: the presiding member opens and closes each item's vote; members
present vote for themselves and for the absent member whose proxy they hold."""

from __future__ import annotations

from django.db import transaction

from fonds import clock
from fonds.audit import chain as audit
from fonds.dossiers.models import Dossier
from fonds.dossiers.states import Status

from .counting import current_tally, item_quorum, presence_by_member, recusals, tally_of
from .errors import ComiteRefused
from .guards import (
    check_amount,
    clean_money,
    clean_text,
    lock_item,
    lock_session,
    require_presiding,
    require_status,
)
from .models import AgendaItem, Attendance, Proxy, Session, Vote
from .quorum import TallyResult
from .reading import (
    audit_presided,
    audit_refusal,
    item_payload,
    member_ids,
    person_label,
    pk_of,
    presiding_for,
    recused_member_ids,
    role_in,
)


def open_vote(item: AgendaItem, *, by, amount=None, motivation: str = "") -> AgendaItem:
    """The member presiding over the item opens its vote on granting ``amount`` (default: the
    proposal, which stands as instructed; another amount is an amendment, motivated and within
    ``award_bounds``). Refused without quorum for the item (after recusals). Audit
    ``comite_vote_opened`` with the quorum and who presides."""
    motivation = clean_text(motivation, "Motivation de l'amendement")
    with transaction.atomic():
        item = lock_item(item)
        session = item.session
        role = require_presiding(item, by, "ouvrir le vote")
        require_status(session, (Session.Status.SITTING,), "ouvrir le vote")
        if item.vote_state != AgendaItem.VoteState.PENDING or item.outcome:
            raise ComiteRefused(
                "status", f"Le vote sur le dossier {item.dossier.reference} a déjà été ouvert."
            )
        if item.dossier.status != Status.IN_COMMITTEE:
            raise ComiteRefused("status", f"Le dossier {item.dossier.reference} n'est plus « en comité ».")
        result = item_quorum(item)
        if not result.reached:
            raise ComiteRefused(
                "condition",
                f"Quorum non atteint pour le dossier {item.dossier.reference} : {result.explanation()} "
                "Ajournez la séance ou reportez le dossier.",
                ["quorum"],
            )
        proposed = item.proposed_amount if item.proposed_amount is not None else item.dossier.proposed_amount
        motion = clean_money(amount, "Montant") if amount not in (None, "") else proposed
        if motion is None:
            raise ComiteRefused(
                "condition", "Aucun montant proposé : indiquez le montant soumis au vote.", ["amount"]
            )
        amended = proposed is None or motion != proposed
        if amended and not motivation:
            raise ComiteRefused(
                "condition",
                "Un montant différent de la proposition de l'instructeur est un amendement : motivez-le.",
                ["amendment"],
            )
        if amended:  # the instructor's proposal was checked at instruction (0 € for an unfavourable opinion)
            check_amount(item, motion, "Montant soumis au vote")
        item.amount = motion
        item.amendment_motivation = motivation if amended else ""
        item.vote_state = AgendaItem.VoteState.OPEN
        item.vote_opened_at = clock.now()
        item.quorum = result.as_dict()
        item.save(update_fields=["amount", "amendment_motivation", "vote_state", "vote_opened_at", "quorum"])
        audit_presided(
            "comite_vote_opened",
            item,
            by=by,
            role=role,
            payload={
                "amount": motion,
                "proposed_amount": proposed,
                "amended": amended,
                "motivation": item.amendment_motivation,
                "quorum": result.as_dict(),
            },
        )
    return item


class _Refusal(Exception):
    def __init__(self, action: str, session: Session, obj, payload: dict, error: ComiteRefused):
        self.args_ = (action, session, obj, payload, error)


def cast_vote(item: AgendaItem, *, by, choice: str, for_member=None) -> Vote:
    """``by`` votes pour / contre / abstention on the open item, for themselves or, with
    ``for_member``, for the member whose proxy they hold. A vote may be changed until the vote is
    closed, never after. A recused member (or a holder voting for a recused giver) is refused and
    the attempt is audited (``comite_vote_refused``). Audit ``comite_vote_cast``."""
    if choice not in Vote.Choice.values:
        raise ComiteRefused("condition", "Vote : « pour », « contre » ou « abstention » attendu.", ["choice"])
    try:
        with transaction.atomic():
            item = lock_item(item)
            session = item.session
            members = member_ids(session)  # read under the item's lock, never taken from a page
            if by is None or by.pk not in members:
                raise ComiteRefused("role", "Seuls les membres de la séance votent.")
            elector = for_member if for_member is not None else by
            recused = recused_member_ids(item)
            if by.pk in recused or elector.pk in recused:
                who = "Vous êtes déporté" if by.pk in recused else f"{person_label(elector)} est déporté"
                raise _Refusal(
                    "comite_vote_refused",
                    session,
                    item,
                    item_payload(
                        item, member=by.pk, for_member=pk_of(for_member), choice=choice, reason="recused"
                    ),
                    ComiteRefused(
                        "recused",
                        f"{who} sur ce dossier (conflit d'intérêts déclaré) : le vote est refusé.",
                        ["recusal"],
                    ),
                )
            if item.vote_state == AgendaItem.VoteState.CLOSED:
                raise ComiteRefused(
                    "status",
                    f"Le vote sur le dossier {item.dossier.reference} est clos : il ne peut plus être "
                    "exprimé ni modifié.",
                )
            if item.vote_state != AgendaItem.VoteState.OPEN or session.status != Session.Status.SITTING:
                raise ComiteRefused(
                    "status", f"Le vote sur le dossier {item.dossier.reference} n'est pas ouvert."
                )
            presence = presence_by_member(session)
            if presence.get(by.pk) != Attendance.Presence.PRESENT:
                raise ComiteRefused(
                    "condition",
                    "Seuls les membres présents votent (l'émargement vous note absent ou représenté).",
                    ["attendance"],
                )
            if for_member is not None:
                if for_member.pk == by.pk:
                    for_member = None
                    elector = by
                elif not Proxy.objects.filter(session=session, giver=for_member, holder=by).exists():
                    raise ComiteRefused(
                        "condition",
                        f"Vous ne détenez pas la procuration de {person_label(for_member)} pour cette "
                        "séance.",
                        ["proxy"],
                    )
                elif presence.get(for_member.pk) == Attendance.Presence.PRESENT:
                    raise ComiteRefused(
                        "condition",
                        f"{person_label(for_member)} est présent : il vote lui-même.",
                        ["proxy_present"],
                    )
                elif presence.get(for_member.pk) == Attendance.Presence.ABSENT:  # as the quorum reads it
                    raise ComiteRefused(
                        "condition",
                        f"{person_label(for_member)} est noté absent : sa procuration ne compte pas "
                        "(l'émargement le note représenté quand elle compte).",
                        ["proxy_absent"],
                    )
            vote = (
                Vote.objects.select_for_update().filter(item=item, elector=elector).order_by().first()
            )  # (item, elector) is unique
            previous = vote.choice if vote is not None else None
            now = clock.now()
            if vote is None:
                vote = Vote.objects.create(
                    item=item, member=by, cast_for=for_member, elector=elector, choice=choice, cast_at=now
                )
            else:
                vote.member, vote.cast_for, vote.choice, vote.cast_at = by, for_member, choice, now
                vote.save(update_fields=["member", "cast_for", "choice", "cast_at"])
            audit.append(
                "comite_vote_cast",
                actor=by,
                role=role_in(session, by, members=members),
                obj=item,
                payload=item_payload(
                    item,
                    elector=elector.pk,
                    proxy=for_member is not None,
                    choice=choice,
                    previous=previous,
                ),
            )
    except _Refusal as refusal:
        action, session, obj, payload, error = refusal.args_
        audit_refusal(action, by=by, session=session, obj=obj, payload=payload)
        raise error from None
    return vote


def close_vote(item: AgendaItem, *, by) -> TallyResult:
    """The presiding member (chair, or deputy chair when the chair is recused) closes the vote: the
    tally is stored and votes are frozen. Audit ``comite_vote_closed`` with the counts."""
    with transaction.atomic():
        item = lock_item(item)
        role = require_presiding(item, by, "clore le vote")
        if item.vote_state != AgendaItem.VoteState.OPEN:
            raise ComiteRefused(
                "status", f"Le vote sur le dossier {item.dossier.reference} n'est pas ouvert."
            )
        result = current_tally(item)
        item.vote_state = AgendaItem.VoteState.CLOSED
        item.vote_closed_at = clock.now()
        item.tally = result.as_dict()
        item.save(update_fields=["vote_state", "vote_closed_at", "tally"])
        audit_presided("comite_vote_closed", item, by=by, role=role, payload={"tally": result.as_dict()})
    return result


def close_all_votes(session: Session, *, by) -> dict[int, TallyResult]:
    """The chair (or the deputy chair) closes at once every open vote they preside over: one
    transaction, the votes read in one query, one ``comite_vote_closed`` event per item.
    Returns ``{item pk: tally}``."""
    with transaction.atomic():
        session = lock_session(session)
        if by is None or by.pk not in (session.chair_id, session.deputy_chair_id):
            raise ComiteRefused(
                "role",
                "Seul le président de séance (ou son suppléant, pour les dossiers qu'il préside) peut "
                "clore les votes.",
            )
        require_status(session, (Session.Status.SITTING,), "clore les votes")
        items = list(
            AgendaItem.objects.select_for_update()
            .filter(session=session, vote_state=AgendaItem.VoteState.OPEN)
            .order_by("rank")
        )
        recused = recusals(item__in=items)
        items = [i for i in items if presiding_for(session, recused.get(i.pk, set())) == by.pk]
        if not items:
            return {}
        role = role_in(session, by)
        references = dict(Dossier.objects.filter(agenda_items__in=items).values_list("pk", "reference"))
        votes: dict[int, list[tuple[int, str]]] = {}
        for item_id, elector, choice in (
            Vote.objects.filter(item__in=items).order_by().values_list("item_id", "elector_id", "choice")
        ):
            votes.setdefault(item_id, []).append((elector, choice))
        now = clock.now()
        results, events = {}, []
        for item in items:
            rows = votes.get(item.pk, [])
            result = tally_of(rows, presiding_for(session, recused.get(item.pk, set())))
            item.vote_state, item.vote_closed_at, item.tally = (
                AgendaItem.VoteState.CLOSED,
                now,
                result.as_dict(),
            )
            results[item.pk] = result
            events.append(
                {
                    "action": "comite_vote_closed",
                    "actor": by,
                    "role": role,
                    "obj": item,
                    "payload": {
                        "reference": references[item.dossier_id],
                        "session": session.pk,
                        "presiding": by.pk,
                        "tally": result.as_dict(),
                    },
                }
            )
        AgendaItem.objects.bulk_update(items, ["vote_state", "vote_closed_at", "tally"], batch_size=500)
        audit.append_many(events)
    return results
