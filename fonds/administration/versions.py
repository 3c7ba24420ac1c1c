"""Publishing a new rule version of a campaign (never editing one in place): the differences,
a motivation, and the administrator's choice for the dossiers not yet instructed — they move to
the new version, or stay pinned on the version they were filed under (``Dossier.rules_version``),
one audit event per dossier. Decisions already taken keep the version recorded with them.
Every dossier-scoped rule reads the recorded version through ``Dossier.rules``."""

from __future__ import annotations

from django.db import transaction

from fonds.audit import chain as audit
from fonds.dossiers.models import Dossier
from fonds.dossiers.states import Status
from fonds.referentiel.models import Campaign, RuleSet

from . import parameters
from .guards import AdminRefused, admin_role, audit_change, lock_campaign, require_admin, require_motivation

#: statuses of a dossier whose instruction is not finished: the version choice applies to them
NOT_YET_INSTRUCTED = (Status.DRAFT, Status.SUBMITTED, Status.IN_INSTRUCTION, Status.CORRECTIONS_REQUESTED)

MOVE, KEEP = "move", "keep"
MIGRATION_CHOICES = (
    (MOVE, "Les dossiers pas encore instruits passent à la nouvelle version"),
    (KEEP, "Les dossiers pas encore instruits restent sur la version sous laquelle ils ont été déposés"),
)


def publish_version(
    campaign: Campaign,
    params: dict,
    *,
    by,
    motivation: str,
    migration: str,
    action: str = "ruleset_published",
    guard=None,
) -> RuleSet:
    """Add version n+1 of ``campaign``'s rules with ``params`` (refused when nothing changes),
    in one transaction: the campaign locked, event ``action`` with the differences (before/after),
    then the per-dossier choice (``MOVE`` / ``KEEP``), one ``dossier_rules_version_changed``
    event per dossier whose recorded version changes. ``guard(locked)`` may refuse under the lock."""
    require_admin(by)
    motivation = require_motivation(motivation)
    if migration not in (MOVE, KEEP):
        raise AdminRefused("condition", "Choisissez ce que deviennent les dossiers pas encore instruits.")
    with transaction.atomic():
        locked = lock_campaign(campaign)
        if guard is not None:
            guard(locked)
        current = locked.rules
        changes = parameters.diff(current.params, params)
        if not changes:
            raise AdminRefused("condition", "Aucune valeur ne change : la nouvelle version serait identique.")
        new = current.new_version(params, by=by, note=motivation[:300])
        audit_change(
            action,
            locked,
            by,
            before={"version": current.version, "params": current.params},
            after={"version": new.version, "params": new.params},
            motivation=motivation,
            campaign=locked.pk,
            changes=changes,
            migration=migration,
        )
        _migrate(locked, current.version, new.version, migration, by=by)
    campaign._current_rules = None  # the caller's instance reads the new version next time
    return new


def _migrate(campaign, old_version: int, new_version: int, migration: str, *, by) -> int:
    """Record each not-yet-instructed dossier's version per the choice; one event per dossier."""
    target = new_version if migration == MOVE else old_version
    dossiers = list(
        Dossier.objects.select_for_update()
        .filter(campaign=campaign, status__in=NOT_YET_INSTRUCTED)
        .order_by("pk")
        .only("pk", "reference", "rules_version")
    )
    if migration == KEEP:  # a dossier already pinned keeps its pin
        dossiers = [d for d in dossiers if not d.rules_version]
    dossiers = [d for d in dossiers if d.rules_version != target]
    entries = []
    for dossier in dossiers:
        entries.append(
            dict(
                action="dossier_rules_version_changed",
                actor=by,
                role=admin_role(by),
                obj=dossier,
                payload={
                    "reference": dossier.reference,
                    "before": {"rules_version": dossier.rules_version},
                    "after": {"rules_version": target},
                    "migration": migration,
                },
            )
        )
    Dossier.objects.filter(pk__in=[d.pk for d in dossiers]).update(rules_version=target)
    audit.append_many(entries)
    return len(dossiers)
