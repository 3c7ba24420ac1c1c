#!/usr/bin/env python
"""Benchmark: audit append throughput with concurrent writers (target: ≥ 2,000 events/s with 4
writers on PostgreSQL, chain intact).

    .venv/bin/python bench/bench_audit_append.py --backend postgres               # 4 writers, 10 s per round
    .venv/bin/python bench/bench_audit_append.py --backend postgres --batches 1,10,50 --baseline
    .venv/bin/python bench/bench_audit_append.py --backend postgres --synchronous-commit off
    .venv/bin/python bench/bench_audit_append.py --backend sqlite                 # temp SQLite file

Each writer is a separate process with its own connection (as gunicorn or Celery workers are).
A writer loops for ``--seconds``: one transaction (``transaction.atomic()``) appending ``batch``
events — ``batch`` = 1 is the realistic case (one change, one event, one transaction), ``batch`` =
10 an ``append_many`` of 10 events (e.g. a bulk action of an instructor). Each round reports
events/s, transactions/s and transaction latency; at the end the whole chain is verified. The
database (``fjj_bench_audit_append`` on PostgreSQL, a temp file for SQLite) is created and dropped.
It prints figures; it is not a test.
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


def writer(number: int, batch: int, start_at: float, seconds: float, results) -> None:
    from django.db import connections, transaction

    from fonds.audit.chain import append, append_many

    events = transactions = 0
    latencies = []
    dossier = number * 1_000_000
    # connect before the start signal, as a pooled worker would be
    connections["default"].ensure_connection()
    while time.time() < start_at:
        time.sleep(0.001)
    deadline = start_at + seconds
    while time.time() < deadline:
        dossier += 1
        entries = [
            {
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
            for k in range(batch)
        ]
        began = time.perf_counter()
        with transaction.atomic():
            if batch == 1:
                append(**entries[0])
            else:
                append_many(entries)
        latencies.append(time.perf_counter() - began)
        events += batch
        transactions += 1
    connections.close_all()
    results.put((number, events, transactions, latencies))


def run_round(writers: int, batch: int, seconds: float) -> dict:
    from django.db import connections

    connections.close_all()  # never share a connection with the children
    ctx = mp.get_context("fork")
    results = ctx.Queue()
    start_at = time.time() + 1.0 + 0.2 * writers
    procs = [ctx.Process(target=writer, args=(n, batch, start_at, seconds, results)) for n in range(writers)]
    for proc in procs:
        proc.start()
    collected = [results.get() for _ in procs]
    for proc in procs:
        proc.join()
        if proc.exitcode:
            raise SystemExit(f"writer failed with exit code {proc.exitcode}")
    events = sum(c[1] for c in collected)
    transactions = sum(c[2] for c in collected)
    latencies = sorted(lat for c in collected for lat in c[3])
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else 0.0
    return {
        "writers": writers,
        "batch": batch,
        "events": events,
        "transactions": transactions,
        "events_per_s": events / seconds,
        "tx_per_s": transactions / seconds,
        "p50_ms": statistics.median(latencies) * 1000 if latencies else 0.0,
        "p99_ms": p99 * 1000,
        "per_writer": sorted((c[0], c[1]) for c in collected),
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
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--batches", default="1,10", help="events per transaction, comma-separated (default 1,10)"
    )
    parser.add_argument("--baseline", action="store_true", help="also run with a single writer")
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
        print(f"load avg : {os.getloadavg()[0]:.2f} (1 min) before the runs")
        total = 0
        rounds = []
        writer_counts = ([1] if args.baseline else []) + [args.writers]
        for batch in [int(b) for b in args.batches.split(",") if b]:
            for writers in writer_counts:
                r = run_round(writers, batch, args.seconds)
                rounds.append(r)
                total += r["events"]
                print(
                    f"writers={r['writers']} batch={r['batch']:>3}: {r['events_per_s']:8,.0f} events/s "
                    f"({r['tx_per_s']:,.0f} transactions/s), latency p50 {r['p50_ms']:.1f} ms p99 "
                    f"{r['p99_ms']:.1f} ms, "
                    f"per writer {[c for _, c in r['per_writer']]}",
                    flush=True,
                )
        started = time.perf_counter()
        result = verify()
        elapsed = time.perf_counter() - started
        intact = result.ok and result.count == total
        print(
            f"verify   : {result.count} events, {'intact' if intact else 'BROKEN: ' + repr(result)} "
            f"({elapsed:.1f} s)"
        )
        print(f"load avg : {os.getloadavg()[0]:.2f} (1 min) after the runs")
        main_round = next((r for r in rounds if r["writers"] == args.writers and r["batch"] == 1), None)
        if main_round:
            verdict = "MET" if main_round["events_per_s"] >= 2000 and intact else "MISSED"
            print(
                f"result   : {args.writers} writers, one event per transaction: "
                f"{main_round['events_per_s']:,.0f} events/s; target ≥ 2,000 events/s: {verdict}"
            )
        if not intact:
            return 1
    finally:
        if not args.keep:
            cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
