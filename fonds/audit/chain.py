"""Append to the audit chain (inside the caller's transaction) and verify it.

Appending
    ``append()`` / ``append_many()`` must run inside the transaction of the change they record
    (``transaction.atomic()``); they refuse to run in autocommit mode. Every append locks the single
    ``ChainHead`` row (``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite the project opens write
    transactions with ``BEGIN IMMEDIATE``, which serializes them), numbers the events after the
    head, hashes them and moves the head forward, so concurrent writers produce one linear chain.
    The lock is held until the caller's transaction ends: append as the *last* write of a
    transaction. Everything that does not depend on the head (canonical encoding of the payload,
    time stamp) is computed before taking the lock.

Canonical content of an event (the exact text hashed and stored in ``AuditEvent.canonical``)::

    {"action":…,"actor":{"id":…,"label":…,"role":…},"at":"…Z","object":{"id":…,"type":…},
     "payload":{…},"seq":N}

``seq`` is the last key (keys are sorted), so the text before the head is known is everything but
``,"seq":N}``.

Verifying
    ``verify()`` walks the events in sequence order (a server-side cursor on PostgreSQL) and checks,
    for every row, that every column is covered: ``hash`` = SHA-256(``prev_hash`` ‖ ``canonical``),
    ``prev_hash`` = hash of the previous event, and ``seq``, ``created_at``, ``actor_id``,
    ``actor_role``, ``action``, ``object_type``, ``object_id`` are exactly the values written in the
    hashed text. The columns are checked by rebuilding the fixed parts of the canonical text from
    them and comparing strings (no JSON decoding per row). Finally the head row must name the last
    event and its hash: deleting the last events is detected. The head is read *before* the events
    and the events after it are checked against a second read, so appends running during the
    verification never raise a false alarm.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import multiprocessing
import os
import queue
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from json.decoder import scanstring
from json.encoder import encode_basestring

from django.db import connection as default_connection
from django.db import transaction

from fonds import clock

from .canonical import GENESIS_HASH, canonical, utc_iso
from .models import AuditEvent, ChainHead

SYSTEM = "system"

EVENT_TABLE = AuditEvent._meta.db_table
HEAD_TABLE = ChainHead._meta.db_table
_FIELD_MAX = {
    name: AuditEvent._meta.get_field(name).max_length
    for name in ("actor_role", "action", "object_type", "object_id")
}

VERIFY_COLUMNS = (
    "seq",
    "created_at",
    "actor_id",
    "actor_role",
    "action",
    "object_type",
    "object_id",
    "canonical",
    "prev_hash",
    "hash",
)
INSERT_COLUMNS = VERIFY_COLUMNS
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
            from fonds.sql import copy_rows

            copy_rows(conn, EVENT_TABLE, INSERT_COLUMNS, rows)
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


@dataclass
class VerifyResult:
    ok: bool
    count: int
    first_bad_seq: int | None = None
    reason: str = ""
    last_hash: str = ""  # hash of the last event checked (the head hash when ok): an external anchor


# The created_at column as the canonical "at" text, computed by the database (no per-row datetime
# objects in Python). SQLite: Django stores "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC; anything else
# yields a value that cannot match, i.e. is reported as altered.
_AT_SQL = {
    "postgresql": """to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')""",
    "sqlite": (
        "CASE WHEN typeof(created_at) = 'text' AND substr(created_at, 11, 1) = ' ' THEN "
        "CASE length(created_at) "
        "WHEN 26 THEN substr(created_at, 1, 10) || 'T' || substr(created_at, 12) || 'Z' "
        "WHEN 19 THEN substr(created_at, 1, 10) || 'T' || substr(created_at, 12) || '.000000Z' "
        "ELSE 'invalide' END ELSE 'invalide' END"
    ),
}


def _select_sql(vendor: str, where: str) -> str:
    at = _AT_SQL.get(vendor, "created_at")
    return (
        f"SELECT seq, {at}, actor_id, actor_role, action, object_type, object_id, canonical, prev_hash, hash "
        f"FROM {EVENT_TABLE} WHERE {where} ORDER BY seq"
    )


def iter_rows(chunk_size: int = 5000) -> Iterator[tuple]:
    """All events as tuples in ``VERIFY_COLUMNS`` order (``created_at`` as a datetime), streamed."""
    return AuditEvent.objects.order_by("seq").values_list(*VERIFY_COLUMNS).iterator(chunk_size=chunk_size)


def _read_head(cursor) -> tuple[int, str] | None:
    cursor.execute(f"SELECT last_seq, last_hash FROM {HEAD_TABLE} WHERE id = 1")
    row = cursor.fetchone()
    return (row[0], row[1]) if row else None


def _fetch(cursor, chunk_size: int) -> Iterator[tuple]:
    fetchmany = cursor.fetchmany
    while True:
        chunk = fetchmany(chunk_size)
        if not chunk:
            return
        yield from chunk


def _normalized(rows: Iterable[tuple]) -> Iterator[tuple]:
    """Rows supplied by a caller: ``created_at`` may be a datetime; turn it into the canonical text."""
    for row in rows:
        at = row[1]
        if at.__class__ is not str:
            try:
                at = utc_iso(at)
            except (AttributeError, TypeError, ValueError):
                at = "invalide"
            row = (row[0], at, *row[2:])
        yield row


def _canonical_seq(text) -> int | None:
    try:
        tail = text[text.rindex(',"seq":') + 7 :]
        return int(tail[:-1]) if tail.endswith("}") and tail[:-1].isdigit() else None
    except (AttributeError, ValueError):
        return None


def _columns_match(row, check_seq: bool = True) -> bool:
    """Every indexed column equals the value written at its place in the hashed text."""
    seq, at, actor_id, role, action, object_type, object_id, text = row[:8]
    try:
        head = f'{{"action":{encode_basestring(action)},"actor":{{"id":{"null" if actor_id is None else actor_id},"label":"'
        if not text.startswith(head):
            return False
        end = scanstring(text, len(head))[1]
        middle = (
            f',"role":{encode_basestring(role)}}},"at":"{at}","object":{{"id":{encode_basestring(object_id)},'
            f'"type":{encode_basestring(object_type)}}},"payload":'
        )
        if not text.startswith(middle, end):
            return False
        return not check_seq or text.endswith(f',"seq":{seq}}}')
    except (TypeError, ValueError, AttributeError):
        return False


def _diagnose(position: int, row: tuple, prev: str) -> tuple[int, str]:
    """Name the first bad sequence number once the fast path refused the row at ``position``.

    The smallest sequence number whose event is not the original one is named:
    a missing number (deletion), a row altered in place, a row moved or renumbered (its hashed text
    says which event it is), or — when a row is intact in itself but does not follow the previous
    one — the previous event (replaced by a forgery).
    """
    seq, text, prev_hash, digest = row[0], row[7], row[8], row[9]
    if seq != position:
        if isinstance(seq, int) and seq > position:
            return (
                position,
                f"événement n° {position} absent (le suivant trouvé est le n° {seq}) : supprimé ou renuméroté",
            )
        return (
            seq if isinstance(seq, int) else position
        ), f"événement n° {seq!r} inattendu à la place du n° {position} : inséré ou renuméroté"
    try:
        self_consistent = hashlib.sha256((prev_hash + text).encode("utf-8")).hexdigest() == digest
    except (TypeError, AttributeError, UnicodeError):
        self_consistent = False
    if not self_consistent:
        return (
            position,
            "l'empreinte enregistrée ne correspond pas à l'empreinte précédente et au contenu haché (ligne modifiée)",
        )
    if not _columns_match(row, check_seq=False):
        return position, "une colonne ne correspond plus au contenu haché (ligne modifiée)"
    claimed = _canonical_seq(text)
    if claimed != position:
        if claimed is not None and claimed < position:
            return (
                claimed,
                f"le contenu haché en position {position} est celui de l'événement n° {claimed} : un événement a été inséré avant lui",
            )
        return (
            position,
            f"le contenu haché en position {position} est celui de l'événement n° {claimed} (lignes déplacées ou renumérotées)",
        )
    if prev_hash != prev:
        if position == 1:
            return 1, "le premier événement ne part pas de l'empreinte initiale"
        return position - 1, (
            f"l'événement n° {position - 1} n'est pas celui que l'événement n° {position} a chaîné "
            "(remplacé ou forgé)"
        )
    return position, "événement refusé par la vérification"  # pragma: no cover - defensive


def _walk(
    rows: Iterable[tuple], start: int = 0, prev: str | None = GENESIS_HASH
) -> tuple[int, str, tuple[int, str] | None]:
    """Check rows in order from the genesis (or after event ``start``, whose hash is ``prev``).

    ``prev=None`` (a segment checked by a worker): trust the first row's ``prev_hash`` for the link;
    the caller checks it against the previous segment. Returns (count, last hash, failure or None).
    """
    sha256 = hashlib.sha256
    enc = encode_basestring
    scan = scanstring
    position = start
    row = None
    rows = iter(rows)
    if prev is None:
        row = next(rows, None)
        if row is None:
            return 0, "", None
        prev = row[8] if isinstance(row[8], str) else ""
        rows = itertools.chain((row,), rows)
    try:
        for row in rows:
            position += 1
            seq, at, actor_id, role, action, object_type, object_id, text, prev_hash, digest = row
            if seq == position and prev_hash == prev and sha256((prev + text).encode()).hexdigest() == digest:
                head = f'{{"action":{enc(action)},"actor":{{"id":{"null" if actor_id is None else actor_id},"label":"'
                if text.startswith(head):
                    end = scan(text, len(head))[1]
                    if text.startswith(
                        f',"role":{enc(role)}}},"at":"{at}","object":{{"id":{enc(object_id)},"type":{enc(object_type)}}},"payload":',
                        end,
                    ) and text.endswith(f',"seq":{seq}}}'):
                        prev = digest
                        continue
            return position - 1 - start, prev, _diagnose(position, row, prev)
    except (TypeError, ValueError, AttributeError, UnicodeError):
        if row is None:
            raise
        return position - 1 - start, prev, _diagnose(position, row, prev)
    return position - start, prev, None


def _head_problem(count: int, last_hash: str, head: tuple[int, str] | None) -> tuple[int, str] | None:
    if head is None:
        if count == 0:
            return None
        return count, "la tête de chaîne (dernier n° de séquence et empreinte) a disparu"
    head_seq, head_hash = head
    if head_seq > count:
        return count + 1, (
            f"la tête de chaîne annonce {head_seq} événements, la chaîne s'arrête au n° {count} : "
            f"événement n° {count + 1} supprimé"
        )
    if head_seq < count:
        return (
            head_seq + 1,
            f"l'événement n° {head_seq + 1} est au-delà de la tête de chaîne (n° {head_seq}) : inséré",
        )
    if head_hash != last_hash:
        return (
            max(head_seq, 1),
            f"la tête de chaîne ne porte pas l'empreinte de l'événement n° {head_seq} (tête ou dernier événement modifié)",
        )
    return None


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

    Without ``rows``: the events and head of the database (streamed). With ``rows`` (tuples in
    ``VERIFY_COLUMNS`` order, ``created_at`` a datetime or its canonical text): those rows, checked
    against the database head, or against ``head=(last_seq, last_hash)``, or ``head=None`` for no
    head check (e.g. an export whose head is checked separately).

    ``workers`` > 1 splits the chain into consecutive segments checked by forked processes, the
    links between segments being checked afterwards — same result, several cores. It falls back to
    one process inside a transaction, in a daemon process (a Celery prefork worker), on an
    in-memory database or for short chains.
    """
    if rows is not None:
        count, last_hash, failure = _walk(_normalized(rows))
        if failure is None:
            if head is _DB_HEAD:
                head_row = ChainHead.objects.filter(pk=1).values_list("last_seq", "last_hash").first()
                failure = _head_problem(count, last_hash, head_row)
            elif head is not None:
                failure = _head_problem(count, last_hash, tuple(head))
        return _result(count, last_hash, failure)
    from django.db import connections

    conn = connections[using] if using else default_connection
    if workers > 1 and _can_fork(conn):
        return _verify_db_parallel(conn, chunk_size, workers)
    if conn.vendor == "postgresql":
        # A named (server-side) cursor streams only inside a transaction; outside one it would be
        # declared WITH HOLD and materialized entirely on the server first.
        with transaction.atomic(using=conn.alias):
            return _verify_db(conn, chunk_size)
    return _verify_db(conn, chunk_size)


def default_workers() -> int:
    """Processes worth using for a large verification on this machine."""
    return max(
        1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))
    )


_PARALLEL_MIN_EVENTS = 200_000


def _can_fork(conn) -> bool:
    if conn.in_atomic_block or multiprocessing.current_process().daemon or not hasattr(os, "fork"):
        return False
    if conn.vendor == "sqlite" and conn.is_in_memory_db():
        return False
    return conn.vendor in ("postgresql", "sqlite")


def _segment_worker(task: tuple) -> tuple:
    """In a forked process: check events lo..hi; return (lo, count, first prev_hash, last hash, failure)."""
    alias, lo, hi, chunk_size = task
    from django.db import connections

    conn = connections[alias]
    try:
        # PostgreSQL: the server-side cursor needs a transaction. SQLite: no BEGIN IMMEDIATE (it
        # would serialize the workers); one SELECT keeps its read snapshot while it is stepped.
        scope = transaction.atomic(using=alias) if conn.vendor == "postgresql" else contextlib.nullcontext()
        with scope:
            with conn.cursor() as cursor:
                cursor.execute(
                    f"SELECT prev_hash FROM {EVENT_TABLE} WHERE seq >= %s ORDER BY seq LIMIT 1", [lo]
                )
                first = cursor.fetchone()
            cursor = conn.chunked_cursor()
            try:
                cursor.execute(_select_sql(conn.vendor, "seq >= %s AND seq <= %s"), [lo, hi])
                rows = _prefetched(cursor.cursor, chunk_size)
                try:
                    with conn.wrap_database_errors:
                        count, last_hash, failure = _walk(
                            rows, start=lo - 1, prev=None if lo > 1 else GENESIS_HASH
                        )
                finally:
                    rows.close()
            finally:
                cursor.close()
        return lo, count, (first[0] if first else None), last_hash, failure
    finally:
        connections.close_all()


def _verify_db_parallel(conn, chunk_size: int, workers: int) -> VerifyResult:
    with conn.cursor() as cursor:
        head = _read_head(cursor)
    if head is None or head[0] < _PARALLEL_MIN_EVENTS:
        if conn.vendor == "postgresql":
            with transaction.atomic(using=conn.alias):
                return _verify_db(conn, chunk_size)
        return _verify_db(conn, chunk_size)
    limit = head[0]
    size = -(-limit // workers)
    tasks = [(conn.alias, lo, min(lo + size - 1, limit), chunk_size) for lo in range(1, limit + 1, size)]
    from django.db import connections

    connections.close_all()  # a forked child must never share the parent's connection
    with multiprocessing.get_context("fork").Pool(len(tasks)) as pool:
        segments = pool.map(_segment_worker, tasks)
    count, prev, failure = 0, GENESIS_HASH, None
    for (lo, seg_count, first_prev, last_hash, seg_failure), (_, _, hi, _) in zip(segments, tasks):
        if lo > 1 and seg_count and first_prev != prev:
            # the first event of this segment does not follow the last one of the previous segment
            with conn.cursor() as cursor:
                cursor.execute(_select_sql(conn.vendor, "seq >= %s"), [lo])
                row = cursor.fetchone()
            failure = _diagnose(lo, row, prev)
            break
        if seg_failure is not None:
            count += seg_count
            prev = last_hash or prev
            failure = seg_failure
            break
        expected = hi - lo + 1
        count += seg_count
        prev = last_hash or prev
        if seg_count != expected:
            missing = lo + seg_count
            failure = (missing, f"événement n° {missing} absent : supprimé ou renuméroté")
            break
    if failure is None:
        failure = _head_problem(count, prev, head)
    if failure is None:
        failure = _beyond_head(conn, limit)
    return _result(count, prev, failure)


def _beyond_head(conn, limit: int) -> tuple[int, str] | None:
    """Events beyond the head read at the start: appended since (their transaction moved the head
    too, so a second read of the head, *after* reading them, covers them) or forged."""
    with conn.cursor() as cursor:
        cursor.execute(f"SELECT seq FROM {EVENT_TABLE} WHERE seq > %s ORDER BY seq", [limit])
        beyond = [row[0] for row in cursor.fetchall()]
        if beyond:
            now = _read_head(cursor)
            uncovered = [seq for seq in beyond if now is None or seq > now[0]]
            if uncovered:
                first = uncovered[0]
                return first, f"l'événement n° {first} est au-delà de la tête de chaîne : inséré"
    return None


def _prefetched(raw_cursor, chunk_size: int) -> Iterator[tuple]:
    """Rows of ``raw_cursor``, the next chunk being fetched by a thread while this one is checked.

    The database (another process for PostgreSQL, C code releasing the GIL for SQLite) prepares
    the next rows while Python hashes the current ones.
    """
    chunks: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()

    def produce():
        try:
            while not stop.is_set():
                chunk = raw_cursor.fetchmany(chunk_size)
                chunks.put(chunk)
                if not chunk:
                    return
        except BaseException as exc:  # handed over to the consumer
            chunks.put(exc)

    producer = threading.Thread(target=produce, name="audit-verify-fetch", daemon=True)
    producer.start()
    try:
        while True:
            chunk = chunks.get()
            if isinstance(chunk, BaseException):
                raise chunk
            if not chunk:
                return
            yield from chunk
    finally:
        stop.set()
        while producer.is_alive():
            try:
                chunks.get(timeout=0.05)
            except queue.Empty:
                pass
        producer.join()


def _verify_db(conn, chunk_size: int, prefetch: bool = True) -> VerifyResult:
    with conn.cursor() as cursor:
        head = _read_head(cursor)
    limit = head[0] if head else 2**62  # no head: read everything, then report the missing head
    vendor = conn.vendor

    cursor = conn.chunked_cursor()
    try:
        cursor.execute(_select_sql(vendor, "seq <= %s"), [limit])
        rows = _prefetched(cursor.cursor, chunk_size) if prefetch else _fetch(cursor, chunk_size)
        try:
            with conn.wrap_database_errors:
                count, last_hash, failure = _walk(rows)
        finally:
            close = getattr(rows, "close", None)
            if close is not None:
                close()
    finally:
        cursor.close()
    if failure is None:
        failure = _head_problem(count, last_hash, head)
    if failure is None:
        failure = _beyond_head(conn, limit)
    return _result(count, last_hash, failure)


def _result(count: int, last_hash: str, failure: tuple[int, str] | None) -> VerifyResult:
    if failure is None:
        return VerifyResult(True, count, None, "", last_hash)
    return VerifyResult(False, count, failure[0], failure[1], last_hash)


def describe(result: VerifyResult) -> str:
    """The one-line French report of a verification."""
    if result.ok:
        noun = "événement" if result.count <= 1 else "événements"
        return f"Piste d'audit intègre : {result.count} {noun}."
    return f"Piste d'audit altérée : premier numéro de séquence en défaut n° {result.first_bad_seq} — {result.reason}."


def event_payload(event: AuditEvent) -> dict:
    """The decoded payload of an event."""
    return json.loads(event.canonical)["payload"]
