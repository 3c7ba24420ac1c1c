"""What every administration service checks: the administrator role, a motivation, the campaign
row locked; refusals in plain French (``AdminRefused``, a ``fonds.refusals.Refused``)."""

from __future__ import annotations

from fonds.accounts.roles import Role, has_role
from fonds.audit import chain as audit
from fonds.referentiel.models import Campaign
from fonds.refusals import Refused

MOTIVATION_MAX = 2000


class AdminRefused(Refused):
    """A change refused by an administration service (kind, French message)."""


def admin_role(by) -> str:
    return Role.ADMIN.value


def audit_change(action: str, obj, by, *, before, after, motivation: str, **extra):
    """Audit an administrator's change to ``obj``: what it was, what it is, why (and ``extra``)."""
    payload = {**extra, "before": before, "after": after, "motivation": motivation}
    return audit.append(action, actor=by, role=admin_role(by), obj=obj, payload=payload)


def require_admin(by) -> None:
    if not has_role(by, Role.ADMIN):
        raise AdminRefused("role", "Seul un administrateur du fonds peut faire cette modification.")


def require_motivation(motivation: str) -> str:
    text = (motivation or "").strip()
    if not text:
        raise AdminRefused("motivation", "Indiquez la motivation de cette modification.")
    if len(text) > MOTIVATION_MAX:
        raise AdminRefused("motivation", "La motivation tient en 2 000 caractères au plus.")
    return text


def lock_campaign(campaign) -> Campaign:
    """The campaign's row, locked until the end of the caller's transaction."""
    pk = campaign.pk if isinstance(campaign, Campaign) else campaign
    locked = Campaign.objects.select_for_update().filter(pk=pk).first()
    if locked is None:
        raise AdminRefused("not_found", "Campagne introuvable.")
    return locked
