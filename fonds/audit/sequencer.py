"""Numbering and chaining events: inline (in the caller's transaction) or by one sequencer.

``write_chained`` is the one place that numbers events after the head, hashes them
(``hash = sha256(prev_hash + canonical)``, the canonical text ending ``,"seq":N}``) and moves the
head, under the head's row lock. Inline mode calls it in the transaction of the change; deferred
mode (``docs/audit.md``) commits the change with a ``PendingEvent`` (content hashed, no position)
and ``sequence_pending`` chains committed pending events in id order, in its own short
transaction, deleting them in that same transaction: a crash before its commit leaves them
pending, one after leaves them chained — never lost, never chained twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils.dateparse import parse_datetime

from fonds import clock

from .canonical import GENESIS_HASH
from .models import EVENT_COLUMNS, EVENT_TABLE, HEAD_TABLE, PENDING_COLUMNS, PENDING_TABLE, AuditEvent

INLINE, DEFERRED = "inline", "deferred"
_INSERT_BATCH = 500  # rows per INSERT statement
_COPY_FROM = 20  # PostgreSQL: more rows than this in one statement go in with COPY
#: events chained per sequencer transaction: short enough never to hold the head for long
BATCH = 2000
#: PostgreSQL advisory lock key held by the running ``audit_sequencer`` loop (one per database)
RUNNER_LOCK = 0x464A4A_A0D17  # "FJJ" + "audit"
_STAGE_COLUMNS = PENDING_COLUMNS[1:]  # id and staged_at come from the database


class AuditChainError(RuntimeError):
    """The chain cannot be appended to (no transaction, head missing, altered pending event…)."""


def mode() -> str:
    """``inline`` (chained in the caller's transaction) or ``deferred`` (by the sequencer)."""
    value = getattr(settings, "FJJ_AUDIT_SEQUENCING", INLINE)
    if value not in (INLINE, DEFERRED):
        raise AuditChainError(f"FJJ_AUDIT_SEQUENCING inconnu : {value!r} (inline ou deferred)")
    return value


def content_digest(body: str) -> str:
    """SHA-256 of a pending event's body (its canonical text without the sequence number)."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------------------------
# The head and the chaining itself
# --------------------------------------------------------------------------------------------


def lock_head(cursor) -> tuple[int, str, bool]:
    """Lock the chain head: ``(last_seq, last_hash, pending events exist)``; create it on an empty trail.

    The pending check travels in the same statement (no extra round trip in inline mode).
    """
    lock = " FOR UPDATE" if cursor.db.features.has_select_for_update else ""
    sql = (
        f"SELECT last_seq, last_hash, EXISTS (SELECT 1 FROM {PENDING_TABLE}) "
        f"FROM {HEAD_TABLE} WHERE id = 1{lock}"
    )
    cursor.execute(sql)
    row = cursor.fetchone()
    if row is not None:
        return row[0], row[1], bool(row[2])
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
    cursor.execute(sql)
    row = cursor.fetchone()
    return row[0], row[1], bool(row[2])


def write_chained(cursor, rows, seq: int, prev: str, *, build: bool = False) -> tuple[int, str, list]:
    """Number, hash and insert ``rows`` after ``(seq, prev)`` and move the head (locked by the caller).

    ``rows``: ``(text_without_seq, created_at adapted for the database, actor_id, role, action,
    object_type, object_id, created_at as given)``. Returns the new head and, with ``build``,
    the ``AuditEvent`` instances.
    """
    conn = cursor.db
    sha256 = hashlib.sha256
    out: list[tuple] = []
    events: list[AuditEvent] = []
    for text_without_seq, at_db, actor_id, role, action, object_type, object_id, at in rows:
        seq += 1
        text = f'{text_without_seq},"seq":{seq}}}'
        digest = sha256((prev + text).encode("utf-8")).hexdigest()
        out.append((seq, at_db, actor_id, role, action, object_type, object_id, text, prev, digest))
        if build:
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
    if out:
        move_head = f"UPDATE {HEAD_TABLE} SET last_seq = %s, last_hash = %s WHERE id = 1"
        _insert(cursor, EVENT_TABLE, EVENT_COLUMNS, out, then=(move_head, [seq, prev]))
    return seq, prev, events


def _insert(cursor, table: str, columns, rows: list[tuple], then=None) -> None:
    """Insert ``rows`` (COPY on PostgreSQL beyond a few rows), then run ``then`` (sql, params).

    PostgreSQL (client-side binding): the last INSERT and ``then`` travel together, one round trip
    less while the head is locked. SQLite runs one statement per call.
    """
    conn = cursor.db
    names = ", ".join(columns)
    if conn.vendor == "postgresql" and len(rows) > _COPY_FROM:
        with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        if then:
            cursor.execute(*then)
        return
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    together = conn.vendor == "postgresql"
    for start in range(0, len(rows), _INSERT_BATCH):
        batch = rows[start : start + _INSERT_BATCH]
        sql = f"INSERT INTO {table} ({names}) VALUES " + ", ".join([one] * len(batch))
        params = [value for row in batch for value in row]
        if then and together and start + _INSERT_BATCH >= len(rows):
            cursor.execute(f"{sql}; {then[0]}", params + list(then[1]))
            return
        cursor.execute(sql, params)
    if then:
        cursor.execute(*then)


# --------------------------------------------------------------------------------------------
# Deferred mode: staging, then sequencing
# --------------------------------------------------------------------------------------------


def stage(cursor, rows) -> None:
    """Insert ``rows`` (as for ``write_chained``) as pending events: no lock, no position."""
    _insert(
        cursor,
        PENDING_TABLE,
        _STAGE_COLUMNS,
        [
            (at_db, actor_id, role, action, otype, oid, text, content_digest(text))
            for text, at_db, actor_id, role, action, otype, oid, _at in rows
        ],
    )


def _after_write() -> None:
    """Called after the events are written and before the sequencer's commit (crash tests)."""


def _chain_pending(cursor, seq: int, prev: str, limit: int) -> tuple[int, str, int]:
    """Chain up to ``limit`` committed pending events in id order (head locked by the caller)."""
    conn = cursor.db
    cursor.execute(f"SELECT {', '.join(PENDING_COLUMNS)} FROM {PENDING_TABLE} ORDER BY id LIMIT %s", [limit])
    pending = cursor.fetchall()
    if not pending:
        return seq, prev, 0
    rows = []
    adapt = conn.ops.adapt_datetimefield_value
    for pk, at_db, actor_id, role, action, otype, oid, body, digest in pending:
        if content_digest(body) != digest:
            raise AuditChainError(
                f"Événement d'audit en attente n° {pk} altéré (empreinte du contenu différente) : "
                "le chaînage est arrêté, voir « manage.py verify_audit »."
            )
        if isinstance(at_db, dt.datetime) and at_db.tzinfo is None:  # SQLite stores naive UTC
            at_db = adapt(at_db.replace(tzinfo=dt.UTC))
        rows.append((body, at_db, actor_id, role, action, otype, oid, None))
    seq, prev, _ = write_chained(cursor, rows, seq, prev)
    ids = [row[0] for row in pending]
    if conn.vendor == "postgresql":
        cursor.execute("SET LOCAL fjj.audit_sequencer = 'on'")
        cursor.execute(f"DELETE FROM {PENDING_TABLE} WHERE id = ANY(%s)", [ids])
        cursor.execute("SET LOCAL fjj.audit_sequencer = 'off'")
    else:  # SQLite: one writer at a time, every pending row up to the last one read is committed
        cursor.execute(f"DELETE FROM {PENDING_TABLE} WHERE id <= %s", [ids[-1]])
    _after_write()
    return seq, prev, len(pending)


def chain_pending_locked(cursor, seq: int, prev: str) -> tuple[int, str]:
    """Inline append finding pending events (a switch from deferred mode): chain them all first."""
    while True:
        seq, prev, done = _chain_pending(cursor, seq, prev, BATCH)
        if done < BATCH:
            return seq, prev


def sequence_pending(limit: int = BATCH, using: str | None = None) -> int:
    """Chain up to ``limit`` committed pending events in one transaction; return how many.

    Called outside any transaction (its commit is the point where the events become chained).
    Several sequencers may run: the head's row lock serializes them, each sees what the previous
    one deleted.
    """
    conn = connections[using or DEFAULT_DB_ALIAS]
    if conn.in_atomic_block:
        raise AuditChainError("le séquenceur d'audit s'exécute dans sa propre transaction")
    with conn.cursor() as cursor:  # idle: one read, no lock, no commit to flush
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {PENDING_TABLE})")
        if not cursor.fetchone()[0]:
            return 0
    with transaction.atomic(using=conn.alias), conn.cursor() as cursor:
        seq, prev, has_pending = lock_head(cursor)
        if not has_pending:
            return 0
        _seq, _prev, done = _chain_pending(cursor, seq, prev, limit)
        return done


def sequence_all(using: str | None = None, limit: int = BATCH) -> int:
    """Chain every pending event committed so far, batch after batch; return how many."""
    total = 0
    while True:
        done = sequence_pending(limit, using)
        total += done
        if done < limit:
            return total


def catch_up(using: str | None = None) -> int:
    """Read-your-writes for a task that needs the chain position of events committed before it
    (the receipt prints the ``submit`` event's number): chain what is pending now.

    Inline mode: nothing to do (no query). Inside a transaction: nothing either (chaining there
    would hold the head until that transaction ends); the caller retries instead.
    """
    if mode() == INLINE:
        return 0
    conn = connections[using or DEFAULT_DB_ALIAS]
    if conn.in_atomic_block:
        return 0
    return sequence_all(using)


# --------------------------------------------------------------------------------------------
# Lag, and the long-running sequencer
# --------------------------------------------------------------------------------------------


def pending_status(using: str | None = None) -> tuple[int, float | None]:
    """``(pending events, age in seconds of the oldest)``: the sequencer's lag."""
    conn = connections[using or DEFAULT_DB_ALIAS]
    with conn.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*), MIN(staged_at) FROM {PENDING_TABLE}")
        count, oldest = cursor.fetchone()
    if not count:
        return 0, None
    if isinstance(oldest, str):  # SQLite: an aggregate has no declared type, hence no converter
        oldest = parse_datetime(oldest)
    if oldest.tzinfo is None:  # SQLite stores UTC without offset
        oldest = oldest.replace(tzinfo=dt.UTC)
    return count, max(0.0, (clock.now() - oldest).total_seconds())


def max_lag_seconds() -> float:
    return float(getattr(settings, "FJJ_AUDIT_MAX_LAG_SECONDS", 60))


def try_runner_lock(using: str | None = None) -> bool:
    """PostgreSQL: take the session advisory lock of the long-running sequencer (False if taken).

    One loop per database: a second one waits. SQLite needs none (one process writes).
    """
    conn = connections[using or DEFAULT_DB_ALIAS]
    if conn.vendor != "postgresql":
        return True
    with conn.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [RUNNER_LOCK])
        return bool(cursor.fetchone()[0])


def release_runner_lock(using: str | None = None) -> None:
    conn = connections[using or DEFAULT_DB_ALIAS]
    if conn.vendor == "postgresql" and conn.connection is not None:
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [RUNNER_LOCK])


def run(
    *,
    interval: float = 0.1,
    limit: int = BATCH,
    stop=None,
    using: str | None = None,
    log=None,
    on_batch=None,
) -> int:
    """The sequencer loop: chain pending events, then sleep ``interval`` when nothing is left.

    ``stop()`` ends the loop (tests, signals); ``on_batch(count)`` is called after each committed
    batch (the benchmark's lag measure). Holds the runner lock while running; waits for it when
    another loop has it. Returns the number of events chained.
    """
    stop = stop or (lambda: False)
    total = 0
    while not try_runner_lock(using):
        if stop():
            return total
        time.sleep(max(interval, 1.0))
    if log:
        log("Séquenceur d'audit démarré.")
    try:
        while not stop():
            done = sequence_pending(limit, using)
            total += done
            if done and on_batch:
                on_batch(done)
            if done < limit:
                time.sleep(interval)
    finally:
        release_runner_lock(using)
    return total
