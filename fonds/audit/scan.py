"""The database side of a verification: the events streamed in sequence order, in one process
or in consecutive segments checked by forked processes (the links between them checked after).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import threading
from collections.abc import Iterator

from django.db import connections, transaction

from .canonical import GENESIS_HASH
from .checks import VerifyResult, diagnose, head_problem, result, walk
from .models import EVENT_TABLE, HEAD_TABLE

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


def select_sql(vendor: str, where: str) -> str:
    at = _AT_SQL.get(vendor, "created_at")
    return (
        f"SELECT seq, {at}, actor_id, actor_role, action, object_type, object_id, canonical, prev_hash, hash "
        f"FROM {EVENT_TABLE} WHERE {where} ORDER BY seq"
    )


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


PARALLEL_MIN_EVENTS = 200_000


def can_fork(conn) -> bool:
    if conn.in_atomic_block or multiprocessing.current_process().daemon or not hasattr(os, "fork"):
        return False
    if conn.vendor == "sqlite" and conn.is_in_memory_db():
        return False
    return conn.vendor in ("postgresql", "sqlite")


def _segment_worker(task: tuple) -> tuple:
    """In a forked process: check events lo..hi; return (lo, count, first prev_hash, last hash, failure)."""
    alias, lo, hi, chunk_size = task
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
                cursor.execute(select_sql(conn.vendor, "seq >= %s AND seq <= %s"), [lo, hi])
                rows = _prefetched(cursor.cursor, chunk_size)
                try:
                    with conn.wrap_database_errors:
                        count, last_hash, failure = walk(
                            rows, start=lo - 1, prev=None if lo > 1 else GENESIS_HASH
                        )
                finally:
                    rows.close()
            finally:
                cursor.close()
        return lo, count, (first[0] if first else None), last_hash, failure
    finally:
        connections.close_all()


def verify_parallel(conn, chunk_size: int, workers: int) -> VerifyResult:
    with conn.cursor() as cursor:
        head = _read_head(cursor)
    if head is None or head[0] < PARALLEL_MIN_EVENTS:
        if conn.vendor == "postgresql":
            with transaction.atomic(using=conn.alias):
                return verify_db(conn, chunk_size)
        return verify_db(conn, chunk_size)
    limit = head[0]
    size = -(-limit // workers)
    tasks = [(conn.alias, lo, min(lo + size - 1, limit), chunk_size) for lo in range(1, limit + 1, size)]
    connections.close_all()  # a forked child must never share the parent's connection
    with multiprocessing.get_context("fork").Pool(len(tasks)) as pool:
        segments = pool.map(_segment_worker, tasks)
    count, prev, failure = 0, GENESIS_HASH, None
    for (lo, seg_count, first_prev, last_hash, seg_failure), (_, _, hi, _) in zip(segments, tasks):
        if lo > 1 and seg_count and first_prev != prev:
            # the first event of this segment does not follow the last one of the previous segment
            with conn.cursor() as cursor:
                cursor.execute(select_sql(conn.vendor, "seq >= %s"), [lo])
                row = cursor.fetchone()
            failure = diagnose(lo, row, prev)
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
        failure = head_problem(count, prev, head)
    if failure is None:
        failure = _beyond_head(conn, limit)
    return result(count, prev, failure)


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


def verify_db(conn, chunk_size: int, prefetch: bool = True) -> VerifyResult:
    with conn.cursor() as cursor:
        head = _read_head(cursor)
    limit = head[0] if head else 2**62  # no head: read everything, then report the missing head
    vendor = conn.vendor

    cursor = conn.chunked_cursor()
    try:
        cursor.execute(select_sql(vendor, "seq <= %s"), [limit])
        rows = _prefetched(cursor.cursor, chunk_size) if prefetch else _fetch(cursor, chunk_size)
        try:
            with conn.wrap_database_errors:
                count, last_hash, failure = walk(rows)
        finally:
            close = getattr(rows, "close", None)
            if close is not None:
                close()
    finally:
        cursor.close()
    if failure is None:
        failure = head_problem(count, last_hash, head)
    if failure is None:
        failure = _beyond_head(conn, limit)
    return result(count, last_hash, failure)
