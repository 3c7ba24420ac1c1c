"""Append to the audit chain (inside the caller's transaction) and verify it.

``append()`` / ``append_many()`` run inside the transaction of the change they record. Inline
mode (embedded default): they lock the single ``ChainHead`` row (``SELECT … FOR UPDATE``;
SQLite's ``BEGIN IMMEDIATE`` serializes writers), number and hash the events after the head and
move it, so concurrent writers make one linear chain; append as the *last* write of a transaction
(the lock is held until its end). Deferred mode (production): the events are committed with the
change, content-hashed, and chained by the sequencer within a second (``sequencer.py``,
``docs/audit.md``) — no writer waits for another.
``verify()`` checks every column of every event against its hashed text, and the head
(``checks.py`` on rows, ``scan.py`` reading the database).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator

from django.db import DEFAULT_DB_ALIAS, connections, transaction

from fonds import clock

from . import sequencer
from .canonical import canonical, utc_iso
from .checks import VerifyResult, head_problem, normalized, result, walk
from .models import EVENT_COLUMNS, EVENT_TABLE, HEAD_TABLE, AuditEvent, ChainHead, PendingEvent
from .scan import can_fork, verify_db, verify_parallel
from .sequencer import AuditChainError, catch_up

__all__ = [  # EVENT_TABLE, HEAD_TABLE, INSERT_COLUMNS: for the benchmarks' bulk loaders
    "EVENT_TABLE",
    "HEAD_TABLE",
    "INSERT_COLUMNS",
    "SYSTEM",
    "AuditChainError",
    "append",
    "append_many",
    "catch_up",
    "describe",
    "describe_lag",
    "describe_object",
    "event_payload",
    "verify",
]

SYSTEM = "system"

_FIELD_MAX = {
    name: AuditEvent._meta.get_field(name).max_length
    for name in ("actor_role", "action", "object_type", "object_id")
}

VERIFY_COLUMNS = INSERT_COLUMNS = EVENT_COLUMNS


# --------------------------------------------------------------------------------------------
# Appending
# --------------------------------------------------------------------------------------------


def describe_object(obj) -> tuple[str, str]:
    """``(type, id)`` of the object an event is about: a model instance, a ``(type, id)`` pair or None."""
    if obj is None:
        return "", ""
    if isinstance(obj, tuple):
        return str(obj[0]), str(obj[1])
    return obj._meta.label_lower, str(obj.pk)


def _describe_actor(actor, label) -> tuple[int | None, str]:
    if actor is not None and not isinstance(actor, str) and getattr(actor, "is_authenticated", False):
        return actor.pk, str(getattr(actor, "email", "") or actor)
    if isinstance(actor, str) and actor:
        return None, actor
    return None, str(label or SYSTEM)


def _check_length(field: str, value: str) -> None:
    limit = _FIELD_MAX[field]
    if len(value) > limit:
        raise ValueError(f"piste d'audit : « {field} » dépasse {limit} caractères : {value[:80]!r}")


def _prepare(entry: dict) -> tuple:
    """Everything about an event that does not depend on the head: (text without seq, columns…)."""
    action = entry.get("action")
    if not isinstance(action, str) or not action:
        raise ValueError("piste d'audit : l'action est obligatoire")
    at = entry.get("at") or clock.now()
    at_text = utc_iso(at)  # refuses naive date-times
    actor_id, actor_label = _describe_actor(entry.get("actor"), entry.get("actor_label"))
    role = str(entry.get("role") or "")
    object_type, object_id = describe_object(entry.get("obj"))
    for field, value in (
        ("action", action),
        ("actor_role", role),
        ("object_type", object_type),
        ("object_id", object_id),
    ):
        _check_length(field, value)
    payload = entry.get("payload")
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise TypeError("piste d'audit : la charge utile doit être un dictionnaire")
    body = {
        "at": at_text,
        "actor": {"id": actor_id, "label": actor_label, "role": role},
        "action": action,
        "object": {"type": object_type, "id": object_id},
        "payload": payload,
    }
    text = canonical(body)  # ends with "}" — the sequence number is appended under the lock
    return text[:-1], at, actor_id, role, action, object_type, object_id


def append(
    action: str, *, actor=None, role: str = "", obj=None, payload: dict | None = None, at=None
) -> AuditEvent | PendingEvent:
    """Append one event. Must run inside the transaction of the change it records."""
    return append_many([dict(action=action, actor=actor, role=role, obj=obj, payload=payload, at=at)])[0]


def append_many(entries: Iterable[dict]) -> list[AuditEvent] | list[PendingEvent]:
    """Append several events, in order, inside the caller's transaction.

    Each entry is a dict with the keyword arguments of ``append`` (``action`` required; optional
    ``actor``, ``actor_label`` for a system actor, ``role``, ``obj``, ``payload``, ``at``).

    Inline mode: numbered and chained under the head's lock (held until the caller's commit);
    returns the ``AuditEvent`` rows. Deferred mode (``FJJ_AUDIT_SEQUENCING=deferred``): staged as
    ``PendingEvent`` rows without any lock, chained by the sequencer after the commit; returns
    them, unsaved copies without sequence number nor hash (no caller reads them: docs/audit.md).
    """
    conn = transaction.get_connection()
    if not conn.in_atomic_block:
        raise AuditChainError(
            "audit.append doit être appelé dans la transaction du changement qu'il consigne"
        )
    prepared = [_prepare(entry) for entry in entries]
    if not prepared:
        return []
    adapt = conn.ops.adapt_datetimefield_value
    rows = [(text, adapt(at), *columns, at) for text, at, *columns in prepared]
    with conn.cursor() as cursor:
        if sequencer.mode() == sequencer.DEFERRED:
            sequencer.stage(cursor, rows)
            return [_pending(row) for row in rows]
        seq, prev, has_pending = sequencer.lock_head(cursor)
        if has_pending:  # left by deferred mode: they come first
            seq, prev = sequencer.chain_pending_locked(cursor, seq, prev)
        return sequencer.write_chained(cursor, rows, seq, prev, build=True)[2]


def _pending(row: tuple) -> PendingEvent:
    text, _at_db, actor_id, role, action, object_type, object_id, at = row
    return PendingEvent(
        created_at=at,
        actor_id=actor_id,
        actor_role=role,
        action=action,
        object_type=object_type,
        object_id=object_id,
        body=text,
        digest=sequencer.content_digest(text),
    )


# --------------------------------------------------------------------------------------------
# Verifying
# --------------------------------------------------------------------------------------------


def iter_rows(chunk_size: int = 5000) -> Iterator[tuple]:
    """All events as tuples in ``VERIFY_COLUMNS`` order (``created_at`` as a datetime), streamed."""
    return AuditEvent.objects.order_by("seq").values_list(*VERIFY_COLUMNS).iterator(chunk_size=chunk_size)


_DB_HEAD = object()


def verify(
    rows: Iterable[tuple] | None = None,
    *,
    head=_DB_HEAD,
    chunk_size: int = 10000,
    using: str | None = None,
    workers: int = 1,
) -> VerifyResult:
    """Walk the chain in sequence order; report the first bad sequence number.

    Without ``rows``: the database's events and head. ``rows`` (``VERIFY_COLUMNS`` tuples) are
    checked against the database head, ``head=(last_seq, last_hash)``, or no head (``None``).
    ``workers`` > 1: segments checked by forked processes, same result (one process inside a
    transaction, a daemon process, an in-memory database or a short chain).
    """
    if rows is not None:
        count, last_hash, failure = walk(normalized(rows))
        if failure is None:
            if head is _DB_HEAD:
                head_row = ChainHead.objects.filter(pk=1).values_list("last_seq", "last_hash").first()
                failure = head_problem(count, last_hash, head_row)
            elif head is not None:
                failure = head_problem(count, last_hash, tuple(head))
        return result(count, last_hash, failure)
    conn = connections[using or DEFAULT_DB_ALIAS]
    if workers > 1 and can_fork(conn):
        return verify_parallel(conn, chunk_size, workers)
    if conn.vendor == "postgresql":
        # A named (server-side) cursor streams only inside a transaction; outside one it would be
        # declared WITH HOLD and materialized entirely on the server first.
        with transaction.atomic(using=conn.alias):
            return verify_db(conn, chunk_size)
    return verify_db(conn, chunk_size)


def default_workers() -> int:
    """Processes worth using for a large verification on this machine."""
    return max(
        1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))
    )


def describe(outcome: VerifyResult) -> str:
    """The one-line French report of a verification."""
    if outcome.ok:
        noun = "événement" if outcome.count <= 1 else "événements"
        return f"Piste d'audit intègre : {outcome.count} {noun}."
    return (
        "Piste d'audit altérée : premier numéro de séquence en défaut "
        f"n° {outcome.first_bad_seq} — {outcome.reason}."
    )


def describe_lag(pending: int, age: float | None) -> str:
    """The one-line French report of the sequencer's lag (deferred mode)."""
    if not pending:
        return "Aucun événement en attente de chaînage."
    noun = "événement en attente" if pending == 1 else "événements en attente"
    line = f"{pending} {noun} de chaînage, le plus ancien depuis {age:.1f} s"
    limit = sequencer.max_lag_seconds()
    if age is not None and age > limit:
        return (
            f"Chaînage en retard : {line} (seuil {limit:.0f} s) — « manage.py audit_sequencer » tourne-t-il ?"
        )
    return line + "."


def event_payload(event: AuditEvent) -> dict:
    """The decoded payload of an event."""
    return json.loads(event.canonical)["payload"]
