"""The checks every comité change starts with: row locks, who may act, the session's status,
and clean inputs (text, amounts). Each refuses with ``ComiteRefused`` and a French message."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from fonds.accounts.roles import Role, has_role
from fonds.audit import chain as audit
from fonds.dossiers.services import TransitionRefused
from fonds.formats import AmountError
from fonds.formats import parse_amount as read_amount
from fonds.instruction.amount import award_bounds, award_refusal

from .errors import ComiteRefused
from .models import AgendaItem, Session
from .reading import pk_of, presiding_member_id

OPEN_STATUSES = (Session.Status.PLANNED, Session.Status.CONVENED, Session.Status.SITTING)


def lock_session(session) -> Session:
    locked = Session.objects.select_for_update().filter(pk=pk_of(session)).first()
    if locked is None:
        raise ComiteRefused("not_found", "Séance introuvable.")
    return locked


def lock_item(item) -> AgendaItem:
    """Lock the item row and its session's row (a change on an item is serialised with the
    session's own changes: closing, adjourning, another item's decision), reading the session
    (campaign, chair) and the dossier (commune, campaign) in the same query."""
    locked = (
        AgendaItem.objects.select_for_update(of=("self", "session"))
        .select_related("session__campaign", "session__chair", "dossier__commune", "dossier__campaign")
        .filter(pk=pk_of(item))
        .order_by()
        .first()
    )
    if locked is None:
        raise ComiteRefused("not_found", "Point de l'ordre du jour introuvable.")
    return locked


def require_admin(by, what: str) -> None:
    if by is None or not has_role(by, Role.ADMIN):
        raise ComiteRefused("role", f"Seul un administrateur du fonds peut {what}.")


def audit_session(action: str, session: Session, by, payload: dict):
    """Audit an administrator's change to a session (planning, agenda, convocation)."""
    return audit.append(action, actor=by, role=Role.ADMIN, obj=session, payload=payload)


def require_chair(session: Session, by, what: str) -> None:
    """Session-level steps (open the sitting, attendance, adjourn, close): the chair only."""
    if by is None or by.pk != session.chair_id:
        raise ComiteRefused("role", f"Seul le président de séance peut {what}.")


def require_presiding(item: AgendaItem, by, what: str) -> str:
    """Item-level steps (open / close the vote, decide): the member presiding over the item (the
    chair, or the deputy chair when the chair is recused on it). Returns the audit role."""
    session = item.session
    presiding = presiding_member_id(item)
    if presiding is None:
        raise ComiteRefused("recused", _no_presiding_message(item), ["recusal"])
    if by is None or by.pk != presiding:
        if by is not None and by.pk == session.chair_id:
            raise ComiteRefused(
                "recused",
                f"Le président est déporté sur le dossier {item.dossier.reference} : le président "
                f"de séance suppléant préside ce point et peut seul {what}.",
                ["recusal"],
            )
        if presiding == session.deputy_chair_id:
            raise ComiteRefused(
                "role",
                "Le président étant déporté sur ce dossier, seul le président de séance suppléant "
                f"peut {what}.",
            )
        raise ComiteRefused("role", f"Seul le président de séance peut {what}.")
    return "president" if presiding == session.chair_id else "president_suppleant"


def _no_presiding_message(item: AgendaItem) -> str:
    session = item.session
    if session.deputy_chair_id is None:
        who = "Le président est déporté sur ce dossier et la séance n'a pas de président de séance suppléant"
    else:
        who = "Le président et le président de séance suppléant sont tous deux déportés sur ce dossier"
    return (
        f"{who} : personne ne peut en présider la délibération. Ajournez l'examen du dossier "
        "(décision « ajourner ») : il reviendra à une prochaine séance."
    )


def _de(what: str) -> str:
    """« de » before ``what``, elided before a vowel (« d'ouvrir »)."""
    return f"d'{what}" if what[:1].lower() in "aeéèêiîoôu" else f"de {what}"


def require_status(session: Session, allowed, what: str) -> None:
    if session.status not in allowed:
        raise ComiteRefused(
            "status", f"Impossible {_de(what)} : la séance est « {session.get_status_display().lower()} »."
        )


def check_amount(item: AgendaItem, amount: Decimal, what: str) -> None:
    """``amount`` lies within the award bounds of the item's dossier (1,000–15,000 € and the
    formula's caps, under the campaign's current rules), else ``ComiteRefused`` (400)."""
    bounds = award_bounds(item.dossier, item.dossier.rules.params)
    refusal = award_refusal(amount, bounds)
    if refusal:
        raise ComiteRefused("condition", f"{what} : {refusal[:1].lower()}{refusal[1:]}", ["amount"])


def clean_text(value, name: str, *, max_length: int = 5000) -> str:
    text = (value or "").strip()
    if len(text) > max_length:
        raise ComiteRefused("condition", f"{name} : {max_length} caractères au plus.")
    return text


def clean_money(value, name: str) -> Decimal:
    try:
        amount = read_amount(value)
    except AmountError as error:  # quotes what was typed, with examples
        raise ComiteRefused("condition", f"{name} : {error}") from None
    except (InvalidOperation, ValueError):
        raise ComiteRefused("condition", f"{name} : montant invalide.") from None
    if not amount.is_finite() or amount < 0 or amount.as_tuple().exponent < -2:
        raise ComiteRefused("condition", f"{name} : montant positif avec au plus deux décimales attendu.")
    return amount.quantize(Decimal("0.01"))


def from_transition(exc: TransitionRefused) -> ComiteRefused:
    return ComiteRefused(
        exc.kind if exc.kind in ComiteRefused.HTTP else "condition", exc.message, list(exc.rules)
    )
