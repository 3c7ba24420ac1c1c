"""The sitting itself: the chair opens it on its date, records attendance, or adjourns it for
want of quorum (``committee.open_tolerance_minutes`` before its start at the earliest)."""

from __future__ import annotations

from django.db import transaction

from fonds import clock
from fonds.audit import chain as audit

from .counting import presence_by_member, proxy_holders, quorum_for, session_quorum
from .dates import require_sitting_time
from .errors import ComiteRefused
from .guards import clean_text, lock_session, require_chair, require_status
from .models import AgendaItem, Attendance, Session
from .reading import member_ids, pk_of


def open_sitting(session: Session, *, by) -> Session:
    """The chair opens the sitting: ``convened`` → ``sitting``, never before ``opens_from``
    (the scheduled start minus ``committee.open_tolerance_minutes``); ``opened_at`` is the
    sitting's date on the minutes and letters. Audit ``comite_sitting_opened``."""
    with transaction.atomic():
        session = lock_session(session)
        require_chair(session, by, "ouvrir la séance")
        require_status(session, (Session.Status.CONVENED,), "ouvrir la séance")
        require_sitting_time(session, "ouvrir la séance")
        session.status = Session.Status.SITTING
        session.opened_at = clock.now()
        session.save(update_fields=["status", "opened_at"])
        audit.append(
            "comite_sitting_opened",
            actor=by,
            role="president",
            obj=session,
            payload={"opened_at": session.opened_at, "needs_quorum": session.needs_quorum},
        )
    return session


def record_attendance(session: Session, *, by, presence: dict) -> list[Attendance]:
    """The chair records attendance: ``{member (user or id): "present"|"represented"|"absent"}``
    (members not named keep their row). ``represented`` needs a proxy given by that member to a
    member present. While ``convened`` or ``sitting``, not before ``opens_from`` (attendance is
    taken at the sitting). Audit ``comite_attendance`` (with the session's quorum)."""
    with transaction.atomic():
        session = lock_session(session)
        require_chair(session, by, "tenir l'émargement")
        require_status(session, (Session.Status.CONVENED, Session.Status.SITTING), "tenir l'émargement")
        require_sitting_time(session, "tenir l'émargement")
        members = member_ids(session)
        wanted = {}
        for key, value in presence.items():
            pk = pk_of(key)
            if pk not in members:
                raise ComiteRefused(
                    "condition", "L'émargement ne concerne que les membres de la séance.", ["attendance"]
                )
            if value not in Attendance.Presence.values:
                raise ComiteRefused(
                    "condition",
                    "Présence : « present », « represented » ou « absent » attendu.",
                    ["attendance"],
                )
            wanted[pk] = value
        final = {**presence_by_member(session), **wanted}
        proxies = proxy_holders(session)
        problems = []
        for pk, value in wanted.items():
            if value == Attendance.Presence.REPRESENTED:
                holder = proxies.get(pk)
                if holder is None:
                    problems.append("un membre noté représenté n'a pas donné de procuration")
                elif final.get(holder) != Attendance.Presence.PRESENT:
                    problems.append("un membre noté représenté l'est par un mandataire qui n'est pas présent")
        if problems:
            raise ComiteRefused(
                "condition", "Émargement refusé : " + " ; ".join(sorted(set(problems))) + ".", ["attendance"]
            )
        now = clock.now()
        rows = []
        for pk, value in wanted.items():
            row, _ = Attendance.objects.update_or_create(
                session=session, member_id=pk, defaults={"presence": value, "recorded_at": now}
            )
            rows.append(row)
        result = quorum_for(session, set(), final, proxies, members=members)
        audit.append(
            "comite_attendance",
            actor=by,
            role="president",
            obj=session,
            payload={"presence": {str(k): v for k, v in sorted(wanted.items())}, "quorum": result.as_dict()},
        )
    return rows


def adjourn(session: Session, *, by, motivation: str = "") -> Session:
    """The chair adjourns the sitting for want of quorum, observed at the sitting (refused with
    quorum, without a quorum requirement, or before ``opens_from``): → ``adjourned``; undecided
    dossiers stay ``in_committee`` for a following session. Audit ``comite_adjourned``."""
    motivation = clean_text(motivation, "Motivation")
    with transaction.atomic():
        session = lock_session(session)
        require_chair(session, by, "ajourner la séance")
        require_status(session, (Session.Status.CONVENED, Session.Status.SITTING), "ajourner la séance")
        require_sitting_time(session, "ajourner la séance")
        if not session.needs_quorum:
            raise ComiteRefused(
                "condition",
                "Cette séance fait suite à une séance ajournée : elle délibère sans condition de quorum.",
                ["quorum"],
            )
        result = session_quorum(session)
        if result.reached:
            raise ComiteRefused(
                "condition",
                f"Le quorum est atteint ({result.explanation()}) : la séance ne peut pas être ajournée pour "
                "ce motif.",
                ["quorum"],
            )
        if session.items.filter(vote_state=AgendaItem.VoteState.OPEN).exists():
            raise ComiteRefused("status", "Un vote est en cours : clôturez-le avant d'ajourner.")
        session.status = Session.Status.ADJOURNED
        session.ended_at = clock.now()
        session.save(update_fields=["status", "ended_at"])
        pending = list(session.items.filter(outcome="").values_list("dossier__reference", flat=True))
        audit.append(
            "comite_adjourned",
            actor=by,
            role="president",
            obj=session,
            payload={"quorum": result.as_dict(), "motivation": motivation, "pending": pending},
        )
    return session
