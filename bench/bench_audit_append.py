#!/usr/bin/env python
"""Benchmark: audit append with concurrent writers, inline chaining vs deferred sequencing (issue 19).

    .venv/bin/python bench/bench_audit_append.py --backend postgres        # both modes, one run
    .venv/bin/python bench/bench_audit_append.py --backend postgres --modes deferred --seconds 20
    .venv/bin/python bench/bench_audit_append.py --backend postgres --synchronous-commit off
    .venv/bin/python bench/bench_audit_append.py --backend sqlite          # temp SQLite file

For each mode (``inline``: the head locked in every audited transaction until its commit;
``deferred``: events committed pending, chained by one ``sequencer.run`` loop in its own process,
as ``manage.py audit_sequencer`` does), in one run, alternating modes ``--repeat`` times:

1. throughput — ``--writers`` processes (own connections, as gunicorn or Celery workers) loop for
   ``--seconds``: one transaction appending one event (the realistic case); transactions/s, latency;
2. interactive during a bulk job — one process appends ``--bulk`` events in transactions of 500
   (a bulk job's chunks) while another makes one single-event transaction every 20 ms: the
   interactive latency p50/p99 while the bulk runs;
3. sequencing lag (deferred) — for every event, the commit of the sequencer batch that chained it
   minus its timestamp (taken just before its own commit): p50/p99/max, in both phases.

At the end everything pending is chained and the whole chain is verified. The database (a unique
name on PostgreSQL, a temp file for SQLite) is created and dropped (``bench/common.py``). It prints
figures; it is not a test.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from bench_audit_verify import machine, setup_database  # noqa: E402

DEFAULT_PG_URL = (
    os.environ["FJJ_DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
    if os.environ.get("FJJ_DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
    else "postgres://postgres@127.0.0.1:5432/postgres"
)
DEFAULT_BACKEND = (
    "postgres"
    if os.environ.get("FJJ_DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
    else "sqlite"
)
DB_NAME = "fjj_bench_audit_append"


MODES = ("inline", "deferred")
BULK_CHUNK = 500  # fonds.bulk.services.DEFAULT_CHUNK


def _entry(number: int, dossier: int, k: int = 0) -> dict:
    return {
        "action": "approve",
        "actor": f"instructeur{number}@fonds.example.fr",
        "role": "instructeur",
        "obj": ("dossiers.dossier", dossier),
        "payload": {
            "reference": f"FJJ-2030-{dossier:08d}",
            "from": "in_committee",
            "to": "approved",
            "motivation": "Échanges réciproques, projet « exemplaire »",
            "data": {"amount": Decimal("7345.00") + k},
            "rules_version": 3,
        },
    }


def _child(mode: str) -> None:
    """In a forked child: the mode of this process, a connection of its own made now."""
    from django.conf import settings
    from django.db import connections

    settings.FJJ_AUDIT_SEQUENCING = mode
    connections["default"].ensure_connection()


def _wait(start_at: float) -> None:
    while time.time() < start_at:
        time.sleep(0.001)


def writer(number: int, mode: str, start_at: float, seconds: float, results) -> None:
    from django.db import connections, transaction

    from fonds.audit.chain import append

    _child(mode)
    latencies = []
    dossier = number * 10_000_000 + int(start_at * 1000) % 1_000_000 * 10
    _wait(start_at)
    deadline = start_at + seconds
    while time.time() < deadline:
        dossier += 1
        began = time.perf_counter()
        with transaction.atomic():
            append(**_entry(number, dossier))
        latencies.append(time.perf_counter() - began)
    connections.close_all()
    results.put(("writer", number, latencies))


def bulk_job(mode: str, start_at: float, total: int, results) -> None:
    from django.db import connections, transaction

    from fonds.audit.chain import append_many

    _child(mode)
    _wait(start_at)
    began = time.time()
    for start in range(0, total, BULK_CHUNK):
        entries = [_entry(99, 50_000_000 + start + k, k) for k in range(min(BULK_CHUNK, total - start))]
        with transaction.atomic():
            append_many(entries)
    results.put(("bulk", began, time.time()))
    connections.close_all()


def interactive(mode: str, start_at: float, stop, results) -> None:
    from django.db import connections, transaction

    from fonds.audit.chain import append

    _child(mode)
    _wait(start_at)
    samples = []
    dossier = 70_000_000 + int(start_at * 1000) % 1_000_000 * 10
    while not stop.is_set():
        dossier += 1
        at = time.time()
        began = time.perf_counter()
        with transaction.atomic():
            append(**_entry(7, dossier))
        samples.append((at, time.perf_counter() - began))
        time.sleep(0.02)
    connections.close_all()
    results.put(("interactive", samples))


def sequencer_loop(stop, results) -> None:
    """``sequencer.run`` (the ``audit_sequencer`` loop), noting when each batch committed."""
    from django.db import connection, connections

    from fonds.audit import sequencer

    _child("deferred")
    marks = []

    def noted(count: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT last_seq FROM audit_chainhead WHERE id = 1")
            marks.append((time.time(), cursor.fetchone()[0]))

    sequencer.run(interval=0.1, stop=stop.is_set, on_batch=noted)
    connections.close_all()
    results.put(("sequencer", marks))


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def lags(marks: list[tuple[float, int]], first_seq: int) -> list[float]:
    """Seconds from each event's timestamp to the commit of the batch that chained it."""
    from bisect import bisect_left

    from fonds.audit.models import AuditEvent

    if not marks:
        return []
    seqs = [seq for _t, seq in marks]
    out = []
    rows = AuditEvent.objects.filter(seq__gt=first_seq, seq__lte=seqs[-1]).values_list("seq", "created_at")
    for seq, created in rows.iterator(chunk_size=10000):
        out.append(marks[bisect_left(seqs, seq)][0] - created.timestamp())
    return out


def head_seq() -> int:
    from fonds.audit.models import ChainHead

    return ChainHead.objects.get(pk=1).last_seq


def run_mode(mode: str, writers: int, seconds: float, bulk: int) -> dict:
    """Phases 1 and 2 for one mode (with its sequencer process when deferred)."""
    from django.db import connections

    from fonds.audit import sequencer

    connections.close_all()  # never share a connection with the children
    ctx = mp.get_context("fork")
    results = ctx.Queue()
    stop_sequencer, stop_interactive = ctx.Event(), ctx.Event()
    first = head_seq()
    connections.close_all()
    seq_proc = None
    if mode == "deferred":
        seq_proc = ctx.Process(target=sequencer_loop, args=(stop_sequencer, results))
        seq_proc.start()
    # phase 1: throughput
    start_at = time.time() + 1.0 + 0.2 * writers
    procs = [ctx.Process(target=writer, args=(n, mode, start_at, seconds, results)) for n in range(writers)]
    for proc in procs:
        proc.start()
    latencies = []
    for _ in procs:
        _kind, _number, got = results.get()
        latencies.extend(got)
    for proc in procs:
        proc.join()
    # phase 2: an interactive user while a bulk job runs
    start_at = time.time() + 1.5
    inter = ctx.Process(target=interactive, args=(mode, start_at - 0.5, stop_interactive, results))
    job = ctx.Process(target=bulk_job, args=(mode, start_at, bulk, results))
    inter.start()
    job.start()
    bulk_msg = results.get()
    while bulk_msg[0] != "bulk":  # pragma: no cover - only the bulk reports here
        bulk_msg = results.get()
    stop_interactive.set()
    samples = results.get()[1]
    job.join()
    inter.join()
    marks = []
    if seq_proc is not None:
        deadline = time.time() + 30
        while time.time() < deadline:  # let the sequencer drain, then stop it
            count, _age = sequencer.pending_status()
            if not count:
                break
            time.sleep(0.05)
        stop_sequencer.set()
        marks = results.get()[1]
        seq_proc.join()
        connections.close_all()
    _kind, bulk_began, bulk_ended = bulk_msg
    during = [lat for at, lat in samples if bulk_began <= at <= bulk_ended]
    all_lags = lags(marks, first) if marks else []
    return {
        "mode": mode,
        "tx_per_s": len(latencies) / seconds,
        "p50_ms": statistics.median(latencies) * 1000 if latencies else 0.0,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "bulk_s": bulk_ended - bulk_began,
        "bulk_events_per_s": bulk / (bulk_ended - bulk_began),
        "interactive_n": len(during),
        "interactive_p50_ms": statistics.median(during) * 1000 if during else 0.0,
        "interactive_p99_ms": percentile(during, 0.99) * 1000,
        "interactive_max_ms": max(during) * 1000 if during else 0.0,
        "lag_p50_s": percentile(all_lags, 0.50),
        "lag_p99_s": percentile(all_lags, 0.99),
        "lag_max_s": max(all_lags) if all_lags else 0.0,
        "batches": len(marks),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--backend",
        choices=["sqlite", "postgres"],
        default=DEFAULT_BACKEND,
        help="default: postgres when FJJ_DATABASE_URL is postgres://…, else sqlite",
    )
    parser.add_argument(
        "--pg-url",
        default=DEFAULT_PG_URL,
        help="maintenance database of the server to create the bench database on",
    )
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0, help="throughput phase per mode (10 s)")
    parser.add_argument("--bulk", type=int, default=20000, help="events of the bulk job (20000)")
    parser.add_argument("--modes", default="inline,deferred", help="comma-separated (inline,deferred)")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of every mode, alternating (1)")
    parser.add_argument(
        "--synchronous-commit",
        choices=["on", "off"],
        default="on",
        help="PostgreSQL: synchronous_commit for the bench database only (default on, the server default)",
    )
    parser.add_argument("--keep", action="store_true")
    common.add_options(parser, db_name=True, tmp=True)
    args = parser.parse_args()

    where, cleanup = setup_database(args, DB_NAME)
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from fonds.audit.chain import verify

        call_command("migrate", verbosity=0)
        print(f"machine  : {machine()}")
        print(f"database : {where} ({connection.vendor})")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                name = connection.settings_dict["NAME"]
                cursor.execute(f"ALTER DATABASE {name} SET synchronous_commit = {args.synchronous_commit}")
            connection.close()
            with connection.cursor() as cursor:
                settings = {}
                for name in ("synchronous_commit", "fsync", "wal_sync_method", "shared_buffers"):
                    cursor.execute(f"SHOW {name}")
                    settings[name] = cursor.fetchone()[0]
            print("server   : " + ", ".join(f"{k}={v}" for k, v in settings.items()))
        print(f"load avg : {os.getloadavg()[0]:.2f} (1 min) before the runs", flush=True)
        from fonds.audit import sequencer

        modes = [m for m in args.modes.split(",") if m]
        rounds = []
        for _ in range(args.repeat):
            for mode in modes:
                r = run_mode(mode, args.writers, args.seconds, args.bulk)
                rounds.append(r)
                print(
                    f"{mode:>8}: {args.writers} writers {r['tx_per_s']:7,.0f} tx/s "
                    f"(p50 {r['p50_ms']:.1f} ms, "
                    f"p99 {r['p99_ms']:.1f} ms) | bulk {args.bulk} events in {r['bulk_s']:.1f} s, "
                    f"interactive n={r['interactive_n']} p50 {r['interactive_p50_ms']:.1f} ms "
                    f"p99 {r['interactive_p99_ms']:.1f} ms max {r['interactive_max_ms']:.0f} ms | "
                    f"lag p50 {r['lag_p50_s']:.2f} s p99 {r['lag_p99_s']:.2f} s max {r['lag_max_s']:.2f} s "
                    f"({r['batches']} batches) | load {os.getloadavg()[0]:.2f}",
                    flush=True,
                )
        chained = sequencer.sequence_all()
        count, _age = sequencer.pending_status()
        started = time.perf_counter()
        result = verify()
        elapsed = time.perf_counter() - started
        intact = result.ok and count == 0
        print(
            f"verify   : {result.count} events ({chained} chained at the end), "
            f"{'intact' if intact else 'BROKEN: ' + repr(result)} ({elapsed:.1f} s), {count} pending"
        )
        print(f"load avg : {os.getloadavg()[0]:.2f} (1 min) after the runs")
        for mode in modes:
            mine = [r for r in rounds if r["mode"] == mode]
            tx = statistics.median(r["tx_per_s"] for r in mine)
            p99 = statistics.median(r["interactive_p99_ms"] for r in mine)
            lag = max(r["lag_p99_s"] for r in mine)
            verdict = "MET" if tx >= 2000 and p99 <= 50 and lag <= 2 and intact else "MISSED"
            print(
                f"result   : {mode}: {tx:,.0f} tx/s with {args.writers} writers (≥ 2,000), interactive p99 "
                f"{p99:.1f} ms during the bulk (≤ 50), lag p99 {lag:.2f} s (≤ 2): {verdict}"
            )
        if not intact:
            return 1
    finally:
        if not args.keep:
            cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
