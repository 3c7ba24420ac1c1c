"""Append to the audit chain (inside the caller's transaction) and verify it.

``append()`` / ``append_many()`` run inside the transaction of the change they record: they lock
the single ``ChainHead`` row (``SELECT … FOR UPDATE``; SQLite's ``BEGIN IMMEDIATE`` serializes
writers), number and hash the events after the head and move it, so concurrent writers make one
linear chain. Append as the *last* write of a transaction (the lock is held until its end).
``verify()`` checks every column of every event against its hashed text, and the head
(``checks.py`` on rows, ``scan.py`` reading the database).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator

from django.db import DEFAULT_DB_ALIAS, connections, transaction

from fonds import clock

from .canonical import GENESIS_HASH, canonical, utc_iso
from .checks import VerifyResult, head_problem, normalized, result, walk
from .models import EVENT_COLUMNS, EVENT_TABLE, HEAD_TABLE, AuditEvent, ChainHead
from .scan import can_fork, verify_db, verify_parallel

SYSTEM = "system"

_FIELD_MAX = {
    name: AuditEvent._meta.get_field(name).max_length
    for name in ("actor_role", "action", "object_type", "object_id")
}

VERIFY_COLUMNS = INSERT_COLUMNS = EVENT_COLUMNS
_INSERT_BATCH = 500  # rows per INSERT statement (10 parameters each)
_COPY_FROM = 20  # PostgreSQL: more events than this in one append go in with COPY


class AuditChainError(RuntimeError):
    """The chain cannot be appended to (no transaction, head missing…)."""


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


def _lock_head(cursor) -> tuple[int, str]:
    """Lock the chain head and return ``(last_seq, last_hash)``; create it on an empty trail."""
    lock = " FOR UPDATE" if cursor.db.features.has_select_for_update else ""
    cursor.execute(f"SELECT last_seq, last_hash FROM {HEAD_TABLE} WHERE id = 1{lock}")
    row = cursor.fetchone()
    if row is not None:
        return row[0], row[1]
    cursor.execute(f"SELECT 1 FROM {EVENT_TABLE} LIMIT 1")
    if cursor.fetchone() is not None:
        raise AuditChainError(
            "La tête de chaîne d'audit a disparu alors que la piste contient des événements : "
            "rien n'est consigné tant que « manage.py verify_audit » n'a pas été examiné."
        )
    cursor.execute(
        f"INSERT INTO {HEAD_TABLE} (id, last_seq, last_hash) VALUES (1, 0, %s) ON CONFLICT (id) DO NOTHING",
        [GENESIS_HASH],
    )
    cursor.execute(f"SELECT last_seq, last_hash FROM {HEAD_TABLE} WHERE id = 1{lock}")
    row = cursor.fetchone()
    return row[0], row[1]


def append(
    action: str, *, actor=None, role: str = "", obj=None, payload: dict | None = None, at=None
) -> AuditEvent:
    """Append one event. Must run inside the transaction of the change it records."""
    return append_many([dict(action=action, actor=actor, role=role, obj=obj, payload=payload, at=at)])[0]


def append_many(entries: Iterable[dict]) -> list[AuditEvent]:
    """Append several events, in order, under one lock (the caller's transaction).

    Each entry is a dict with the keyword arguments of ``append`` (``action`` required; optional
    ``actor``, ``actor_label`` for a system actor, ``role``, ``obj``, ``payload``, ``at``).
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
    sha256 = hashlib.sha256
    events: list[AuditEvent] = []
    rows: list[tuple] = []
    with conn.cursor() as cursor:
        seq, prev = _lock_head(cursor)
        for text_without_seq, at, actor_id, role, action, object_type, object_id in prepared:
            seq += 1
            text = f'{text_without_seq},"seq":{seq}}}'
            digest = sha256((prev + text).encode("utf-8")).hexdigest()
            rows.append((seq, adapt(at), actor_id, role, action, object_type, object_id, text, prev, digest))
            event = AuditEvent(
                seq=seq,
                created_at=at,
                actor_id=actor_id,
                actor_role=role,
                action=action,
                object_type=object_type,
                object_id=object_id,
                canonical=text,
                prev_hash=prev,
                hash=digest,
            )
            event._state.adding = False
            event._state.db = conn.alias
            events.append(event)
            prev = digest
        columns = ", ".join(INSERT_COLUMNS)
        one = "(" + ", ".join(["%s"] * len(INSERT_COLUMNS)) + ")"
        move_head = f"UPDATE {HEAD_TABLE} SET last_seq = %s, last_hash = %s WHERE id = 1"
        if conn.vendor == "postgresql" and len(rows) > _COPY_FROM:
            # a chunk of a bulk action: COPY (no placeholder parsing, the cheapest way in)
            with cursor.cursor.copy(f"COPY {EVENT_TABLE} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(move_head, [seq, prev])
            return events
        # PostgreSQL (client-side binding): the last INSERT and the head update travel together,
        # one round trip less while the head is locked. SQLite runs one statement per call.
        together = conn.vendor == "postgresql"
        for start in range(0, len(rows), _INSERT_BATCH):
            batch = rows[start : start + _INSERT_BATCH]
            sql = f"INSERT INTO {EVENT_TABLE} ({columns}) VALUES " + ", ".join([one] * len(batch))
            params = [value for row in batch for value in row]
            if together and start + _INSERT_BATCH >= len(rows):
                cursor.execute(f"{sql}; {move_head}", params + [seq, prev])
                break
            cursor.execute(sql, params)
        else:
            cursor.execute(move_head, [seq, prev])
    return events


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


def event_payload(event: AuditEvent) -> dict:
    """The decoded payload of an event."""
    return json.loads(event.canonical)["payload"]
