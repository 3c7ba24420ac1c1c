"""Batch versions (for ``perform_many``) of preparers registered by other stages: the conflict
guard of ``fonds.instruction.hooks`` reads the instructor's conflicts for a whole chunk in one
query and refuses the same dossiers with the same message. Installed by ``BulkConfig.ready()``."""

from __future__ import annotations

from fonds.dossiers import services as dossier_services
from fonds.dossiers.services import TransitionRefused
from fonds.instruction import hooks
from fonds.instruction.guards import conflict_message
from fonds.instruction.models import InstructorConflict


def conflict_guard_many(dossiers, by, datas) -> dict:

    if by is None or not getattr(by, "is_authenticated", False):
        return {}
    linked = set(
        InstructorConflict.objects.filter(
            user=by, commune_id__in={d.commune_id for d in dossiers}
        ).values_list("commune_id", flat=True)
    )
    return {d.pk: TransitionRefused("role", conflict_message(d)) for d in dossiers if d.commune_id in linked}


def register() -> None:

    guard = getattr(hooks, "_conflict_guard", None)
    if guard is not None:  # otherwise perform_many calls the guard once per dossier (still correct)
        dossier_services.batch_version(guard)(conflict_guard_many)
