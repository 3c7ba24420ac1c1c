"""Reads the dossiers' status histories from the audit trail for ``processing_times``: every
transition is recorded by ``fonds.dossiers.services.perform`` as an event named after it. The
status it reached is the state machine's fixed target (``fixed_target``), so the history is read
from the indexed columns alone (``reporting_audit_transitions``, PostgreSQL: an index-only scan);
only a transition that decides its target as it runs (``settle``) is read from its event's
payload (``payload.to``), extracted by the database.

``send_times(ids)()``: the figures of some dossiers (the decision export, a chunk at a time, its
queries sent in the export's pipeline);
``processing(campaign_id)``: the dashboard's block, medians and 90th percentiles per campaign and
per team. The fund has no instructor teams of its own: a team is the département of the commune
(each département's dossiers are instructed together), said on the dashboard.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.db.models import CharField
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast

from fonds import clock
from fonds.audit.models import AuditEvent
from fonds.dossiers.models import Dossier
from fonds.dossiers.services import TRANSITIONS
from fonds.dossiers.transitions import fixed_target

from . import processing_times as pt
from . import sql

OBJECT_TYPE = "dossiers.dossier"


def working_days() -> bool:
    return bool(getattr(settings, "FJJ_PROCESSING_WORKING_DAYS", False))


def unit() -> str:
    return (
        "jours ouvrés (lundi au vendredi ; jours fériés comptés)" if working_days() else "jours calendaires"
    )


def _status_reached() -> RawSQL:
    if connection.vendor == "postgresql":
        return RawSQL("(canonical::jsonb #>> '{payload,to}')", [])
    return RawSQL("json_extract(canonical, '$.payload.to')", [])


#: the status each transition reaches; the others (``DECIDED``) say it in their event's payload
TARGETS = {name: target for name in sorted(TRANSITIONS) if (target := fixed_target(name))}
DECIDED = sorted(set(TRANSITIONS) - set(TARGETS))


def _events(object_ids, actions):
    return AuditEvent.objects.filter(
        object_type=OBJECT_TYPE, action__in=actions, object_id__in=sql.in_ids(object_ids)
    ).order_by()


def histories(object_ids) -> dict[int, list[pt.Change]]:
    """``{dossier id: [Change…]}`` in time order for ``object_ids`` (a list of ids as text, or a
    sub-query). Two queries: the transitions with a fixed target, then those that decide it."""
    fixed, decided = _history_queries(object_ids)
    return _merge(fixed, decided)


def _history_queries(object_ids):
    """The two ``values_list`` queries of ``histories``: ``(object_id, at, action)`` of the
    transitions with a fixed target, ``(object_id, at, status reached)`` of the others."""
    at = sql.timestamp("created_at")
    fixed = _events(object_ids, list(TARGETS)).values_list("object_id", at, "action")
    decided = _events(object_ids, DECIDED).annotate(reached=_status_reached())
    return fixed, decided.values_list("object_id", at, "reached")


def _merge(fixed, decided) -> dict[int, list[pt.Change]]:
    found: dict[int, list[pt.Change]] = {}
    moment = sql.moment
    for object_id, when, action in fixed:
        found.setdefault(int(object_id), []).append(pt.Change(moment(when), TARGETS[action]))
    for object_id, when, reached in decided:
        if reached:
            found.setdefault(int(object_id), []).append(pt.Change(moment(when), reached))
    for changes in found.values():
        changes.sort(key=lambda change: change.at)  # the index gives them by action
    return found


def _compute(history: dict[int, list[pt.Change]]) -> dict[int, pt.Times]:
    now, work, tz = clock.now(), working_days(), settings.TIME_ZONE
    return {pk: pt.dossier_times(changes, now, working_days=work, tz=tz) for pk, changes in history.items()}


def send_times(ids: list[int]) -> Callable[[], dict[int, pt.Times]]:
    """The figures of the dossiers ``ids``: two queries sent now (``sql.send_values``: inside
    ``sql.pipeline()`` the server runs them while the decision export writes the previous chunk),
    read and computed by the function returned."""
    fixed, decided = (sql.send_values(values) for values in _history_queries([str(i) for i in ids]))
    return lambda: _compute(_merge(fixed(), decided()))


def processing(campaign_id: int | None = None) -> dict:
    """The dashboard's block: per stage and overall, medians and 90th percentiles (days) for the
    whole selection, per campaign and per team (département). Three queries."""
    dossiers = Dossier.objects.order_by().exclude(status="draft")
    if campaign_id:
        dossiers = dossiers.filter(campaign_id=campaign_id)
    meta = {
        pk: (campaign, name, dep or "")
        for pk, campaign, name, dep in dossiers.values_list(
            "pk", "campaign_id", "campaign__name", "commune__departement"
        )
    }
    ids_as_text = dossiers.annotate(text_id=Cast("pk", CharField())).values("text_id")
    times = _compute(histories(ids_as_text))
    known = [(pk, t) for pk, t in times.items() if pk in meta]
    overall = pt.table(("all", t) for _, t in known).get("all") or pt.table([("all", pt.Times())])["all"]
    per_campaign = pt.table(((meta[pk][0], meta[pk][1]), t) for pk, t in sorted(known))
    per_team = pt.table((meta[pk][2], t) for pk, t in sorted(known, key=lambda kv: (meta[kv[0]][2], kv[0])))
    return {
        "working_days": working_days(),
        "unit": unit(),
        "measures": [{"measure": key, "label": label} for key, label in pt.MEASURES],
        "overall": overall,
        "campaigns": [
            {"campaign": cid, "name": name, "rows": rows}
            for (cid, name), rows in sorted(per_campaign.items(), key=lambda kv: -kv[0][0])
        ],
        "teams": [{"team": dep, "rows": rows} for dep, rows in sorted(per_team.items())],
    }
