"""The comité's state changes — each one function, one ``transaction.atomic()``, row locks
(``select_for_update``) and its audit event (``fonds.audit.chain.append``) in that transaction.

Refusals raise ``ComiteRefused(kind, message)`` with a French message (``kind``: ``status`` 409,
``role`` 403, ``condition`` 400, ``recused`` 403, ``not_found`` 404). Refusals the règlement wants
on record (a recused member trying to vote or to read) are audited in their own transaction
before the exception is raised.

Dossier statuses change only through ``fonds.dossiers.services.perform``: ``schedule`` when the
agenda is built, ``approve`` / ``waitlist`` / ``reject`` / ``defer`` when the chair records the
outcome (the envelope decides between approve and waitlist: ``fonds.comite.envelope``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from .models import AgendaItem, Attendance, ConflictDeclaration, Proxy, Session, Vote
from .quorum import QuorumResult, TallyResult


@dataclass
class ComiteRefused(Exception):
    kind: str  # status | role | condition | recused | not_found
    message: str
    rules: list = field(default_factory=list)

    HTTP = {"status": 409, "role": 403, "recused": 403, "condition": 400, "not_found": 404}

    def __str__(self):
        return self.message

    @property
    def http_status(self) -> int:
        return self.HTTP.get(self.kind, 400)


@dataclass
class ConvocationResult:
    session: Session
    recipients: list[str]  # member emails a convocation is queued for
    warnings: list[str]  # French; e.g. fewer than ``convocation_min_days`` days before the sitting
    days_before: int


# ---- reading ---------------------------------------------------------------------------------

def is_member(session: Session, user) -> bool:
    """The user is one of the session's members (the chair is always a member)."""
    raise NotImplementedError


def recused_member_ids(item: AgendaItem) -> set[int]:
    """Ids of the members recused on this agenda item (declared conflicts, incl. automatic ones)."""
    raise NotImplementedError


def is_recused(item: AgendaItem, user) -> bool:
    raise NotImplementedError


def can_read_item(item: AgendaItem, user) -> bool:
    """May ``user`` read this item's deliberation and votes? No audit: for list filtering."""
    raise NotImplementedError


def read_item(item: AgendaItem | int, *, by) -> AgendaItem:
    """The item (dossier summary, grid, opinion, proposed amount, votes) for ``by``; a recused
    member (or a non-member without the admin/auditor role) is refused (``ComiteRefused("recused")``)
    and the refusal is audited (``comite_read_refused``)."""
    raise NotImplementedError


def member_agenda(session: Session, user) -> list[tuple[AgendaItem, bool]]:
    """The session's items in rank order with ``recused`` for ``user`` (the UI hides the
    deliberation of the recused ones)."""
    raise NotImplementedError


def item_quorum(item: AgendaItem) -> QuorumResult:
    """Quorum of this item now (after recusals; attendance and proxies as recorded)."""
    raise NotImplementedError


def session_quorum(session: Session) -> QuorumResult:
    """Quorum of the session as a whole (no recusal): used to adjourn."""
    raise NotImplementedError


def current_tally(item: AgendaItem) -> TallyResult:
    """Tally of the item's votes as cast so far (the chair's own vote is the casting vote)."""
    raise NotImplementedError


# ---- preparing the session ---------------------------------------------------------------------

def create_session(campaign, *, by, starts_at, chair, members, place: str = "", video_link: str = "", follows: Session | None = None) -> Session:
    """An administrator creates a session (status ``planned``). ``members``: users holding the
    comité role (the chair is added if missing). Place or video link required. With ``follows``
    (an *adjourned* session of the same campaign) the new session takes over its undecided
    agenda and needs no quorum. Audit ``comite_session_created``."""
    raise NotImplementedError


def build_agenda(session: Session, *, by) -> list[AgendaItem]:
    """Put every *instructed* dossier of the campaign on the agenda, ranked by total score
    (desc) then smaller population, and schedule each (``perform(d, "schedule", by=by)``).
    Members who instructed a dossier are recused on it automatically. Only while ``planned``;
    re-running adds the dossiers instructed since, after the existing ranks. Audit
    ``comite_agenda_built``."""
    raise NotImplementedError


def send_convocation(session: Session, *, by) -> ConvocationResult:
    """Status ``planned`` → ``convened`` (or re-send while ``convened``): one email with the
    agenda per member (Celery task on commit, sent once per member and session). The result holds
    a warning when the sitting is fewer than ``committee.convocation_min_days`` days away.
    Audit ``comite_convocation``."""
    raise NotImplementedError


def give_proxy(session: Session, *, giver, holder, by=None) -> Proxy:
    """``giver`` gives a proxy to ``holder`` (both members; ``by`` defaults to the giver, an
    administrator or the chair may record it). A member gives at most one proxy and holds at most
    one (``committee.max_proxies_per_member``); a holder cannot have given one. Before the session
    is closed. Audit ``comite_proxy_given``."""
    raise NotImplementedError


def revoke_proxy(session: Session, *, giver, by=None) -> None:
    """Withdraw the proxy ``giver`` gave (before the sitting). Audit ``comite_proxy_revoked``."""
    raise NotImplementedError


def declare_conflict(item: AgendaItem, *, member, reason: str, by=None) -> ConflictDeclaration:
    """``member`` declares a link with the item's dossier (``reason`` required): they are recused
    on it. Refused once the item's vote is open. Audit ``comite_conflict_declared``."""
    raise NotImplementedError


# ---- the sitting -----------------------------------------------------------------------------

def open_sitting(session: Session, *, by) -> Session:
    """The chair opens the sitting: ``convened`` → ``sitting``. Audit ``comite_sitting_opened``."""
    raise NotImplementedError


def record_attendance(session: Session, *, by, presence: dict) -> list[Attendance]:
    """The chair records attendance: ``{member (user or id): "present"|"represented"|"absent"}``
    (members not named keep their row; every member needs one before a vote). ``represented``
    needs a proxy given by that member to a member marked present. While ``convened`` or
    ``sitting``. Audit ``comite_attendance``."""
    raise NotImplementedError


def open_vote(item: AgendaItem, *, by, amount=None, motivation: str = "") -> AgendaItem:
    """The chair opens the vote on the item: the motion is to grant ``amount`` (default the
    proposed amount; a different amount is an amendment and needs ``motivation``). Refused without
    quorum for this item (after recusals). Audit ``comite_vote_opened`` with the quorum."""
    raise NotImplementedError


def cast_vote(item: AgendaItem, *, by, choice: str, for_member=None) -> Vote:
    """``by`` votes pour / contre / abstention on the open item, for themselves or, with
    ``for_member``, for the member whose proxy they hold. A vote may be changed until the vote is
    closed. A recused member (or a holder voting for a recused giver, or a recused holder) is
    refused and the attempt is audited (``comite_vote_refused``). Audit ``comite_vote_cast``."""
    raise NotImplementedError


def close_vote(item: AgendaItem, *, by) -> TallyResult:
    """The chair closes the vote: the tally is stored and votes are frozen. Audit
    ``comite_vote_closed`` with the counts."""
    raise NotImplementedError


def decide(item: AgendaItem, *, by, outcome: str, amount=None, motivation: str = "") -> AgendaItem:
    """The chair records the outcome of the item through ``perform``:

    * ``"approve"`` — the vote is closed and adopted; amount = the motion's amount (``amount``
      may amend it again, with ``motivation``). Beyond what is left of the envelope the dossier is
      *waitlisted* instead (outcome ``waitlisted``): ``fonds.comite.envelope.approve_or_waitlist``.
    * ``"reject"`` — the vote is closed and not adopted; ``motivation`` required.
    * ``"defer"`` — back to ``instructed`` for a later session (any time before an outcome).

    Audit: the dossier's transition event, plus ``comite_outcome`` on the item.
    """
    raise NotImplementedError


def adjourn(session: Session, *, by, motivation: str = "") -> Session:
    """The chair adjourns the sitting for want of quorum (refused when the session's quorum is
    reached or when no quorum is needed): ``sitting``/``convened`` → ``adjourned``; undecided
    dossiers stay ``in_committee`` for the next session. Audit ``comite_adjourned``."""
    raise NotImplementedError


def close_session(session: Session, *, by) -> Session:
    """The chair closes the session (every item decided): the minutes PDF (procès-verbal) is
    generated and stored (``GeneratedDocument`` kind ``minutes``), its SHA-256 goes in the audit
    event ``comite_session_closed``; on commit a Celery task per decided dossier makes its
    decision letter and emails the mayor(s)."""
    raise NotImplementedError
