"""The committee's invariant on the health endpoint (``/sante/``), registered in ``fonds.ops.health``."""

from __future__ import annotations

from fonds.ops import health

from .agenda import orphans


def check_committee_agenda() -> dict:
    """No dossier « en comité » without an undecided agenda item of a session that is not closed
    (règlement, « Committee »). Lists the count and the first references (public dossier numbers,
    no names); repaired by ``python manage.py repair_committee_agenda``."""
    listed = health.LISTED
    references = list(orphans().values_list("reference", flat=True)[: listed + 1])
    count = len(references) if len(references) <= listed else orphans().count()
    result = {"ok": count == 0, "in_committee_without_agenda": count, "references": references[:listed]}
    if count:
        result["repair"] = "python manage.py repair_committee_agenda"
    return result


def register() -> None:
    health.register_invariant("committee_agenda", check_committee_agenda)
