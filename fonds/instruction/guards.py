"""What every change of the instruction checks first: the instructor's declared links with
communes (conflicts of interest), the dossier locked and its status, the texts typed."""

from __future__ import annotations

import hashlib

from django.db.models import Exists, OuterRef

from fonds.accounts.roles import Role, has_role
from fonds.audit import chain as audit
from fonds.dossiers.access import can_see
from fonds.dossiers.models import Dossier
from fonds.dossiers.services import TransitionRefused
from fonds.dossiers.states import Status

from .models import (
    InstructorConflict,
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


def lock_dossier(dossier, by, *, statuses=None, action: str = "Cette action") -> Dossier:
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


def required_text(value, name: str, *, required: bool = True, max_length: int = 5000) -> str:
    text = (value or "").strip()
    if required and not text:
        raise TransitionRefused("motivation", f"{name} est obligatoire.")
    if len(text) > max_length:
        raise TransitionRefused("condition", f"{name} : {max_length} caractères au plus.")
    return text


def fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def instructor_role(user) -> str:
    return Role.INSTRUCTEUR


def audit_dossier(action: str, dossier, by, payload: dict):
    """Audit an instructor's change to a (locked) dossier: the event is about the dossier and its
    payload starts with the dossier's reference."""
    return audit.append(
        action,
        actor=by,
        role=instructor_role(by),
        obj=dossier,
        payload={"reference": dossier.reference, **payload},
    )
