#!/usr/bin/env python
"""Benchmark: verify an audit chain of N events (target: 1,000,000 events in ≤ 10 s).

    .venv/bin/python bench/bench_audit_verify.py --events 1000000                  # SQLite (temp file)
    .venv/bin/python bench/bench_audit_verify.py --events 1000000 --backend postgres
        [--pg-url postgres://postgres@127.0.0.1:5432/postgres]   # database fjj_bench_audit_verify_<pid>_<hex>
    options: --workers 1,2 (verify() processes to time), --runs 3, --db-name / --tmp (default: a
    unique database / temp folder, dropped / removed at exit), --keep, --reuse (keep the filled
    database and reuse it next time: /tmp/fjj_bench_audit_verify/ or database fjj_bench_audit_verify)

The script uses a dedicated database (a temporary SQLite file, or a PostgreSQL database it creates
and drops), fills it with properly chained events built by the real code path
(``fonds.audit.chain._prepare`` → canonical text, ``chain_hash``), bulk-loaded (executemany on
SQLite, COPY on PostgreSQL), then times ``fonds.audit.chain.verify()`` — the function behind
``manage.py verify_audit`` and the daily Celery task — several times. It prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import common  # noqa: E402

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
DB_NAME = "fjj_bench_audit_verify"


def machine() -> str:
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for line in open("/proc/meminfo", encoding="utf-8"):
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPU ({cpu}), {mem} RAM, Python {platform.python_version()}"


def setup_database(args, db_name: str = DB_NAME) -> tuple[str, callable]:
    """Point Django at a dedicated database; return (description, cleanup).

    The database is a unique one (``common.unique_name``: ``<db_name>_<pid>_<random>``), or
    ``args.db_name`` when given; on SQLite a SQLite file in a new temp folder (``args.tmp`` when
    given). It is dropped / removed at exit, on an error or a signal too (``common.on_exit``), unless
    ``args.keep``. With ``args.reuse`` the name is the fixed ``db_name`` (a data set kept on purpose
    from one run to the next)."""
    os.environ["FJJ_DEBUG"] = "0"  # no query logging, as in production
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fonds.settings")
    reuse = getattr(args, "reuse", False)
    keep = getattr(args, "keep", False) or reuse
    name = getattr(args, "db_name", None) or (db_name if reuse else common.unique_name(db_name))
    prefix = db_name.replace("_", "-")  # temp_dir adds the pid and a random part
    if args.backend == "sqlite":
        given = getattr(args, "tmp", None) or (str(Path(tempfile.gettempdir()) / db_name) if reuse else None)
        folder = common.temp_dir(prefix, path=given, keep=keep)
        path = folder / "bench.sqlite3"
        os.environ["FJJ_DATABASE_URL"] = f"sqlite:///{path}"
        os.environ["FJJ_VAR_DIR"] = str(folder)
        common.report()
        return f"SQLite {path}", common.cleanup
    os.environ["FJJ_DATABASE_URL"] = common.postgres_database(args.pg_url, name, keep=keep, reuse=reuse)
    os.environ["FJJ_CONN_MAX_AGE"] = "0"
    if getattr(args, "tmp", None) or "FJJ_VAR_DIR" not in os.environ:  # media of the run: not in var/
        folder = common.temp_dir(prefix, getattr(args, "tmp", None))  # not needed by a next run
        os.environ["FJJ_VAR_DIR"] = str(folder)
    common.report()
    return f"PostgreSQL database {name}", common.cleanup


def event_entries(n: int):
    """Realistic entries: dossier transitions, eligibility runs, payments (French text, amounts)."""
    t0 = dt.datetime(2030, 1, 15, 8, 0, tzinfo=dt.UTC)
    statuses = ["draft", "submitted", "in_instruction", "instructed", "in_committee", "approved"]
    for i in range(n):
        kind = i % 4
        dossier = 1 + i // 8
        at = t0 + dt.timedelta(seconds=7 * i, microseconds=i % 1000)
        if kind == 0:
            yield {
                "action": "submit",
                "actor_label": f"maire{dossier % 997}@commune.example.fr",
                "role": "porteur",
                "obj": ("dossiers.dossier", dossier),
                "at": at,
                "payload": {
                    "reference": f"FJJ-2030-{dossier:06d}",
                    "from": statuses[0],
                    "to": statuses[1],
                    "motivation": "",
                    "data": {},
                    "rules_version": 3,
                },
            }
        elif kind == 1:
            yield {
                "action": "eligibility_checked",
                "role": "",
                "obj": ("dossiers.dossier", dossier),
                "at": at,
                "payload": {
                    "run": i,
                    "moment": "submission",
                    "rules_version": 3,
                    "verdicts": {f"E{k}": "ok" for k in range(1, 10)},
                },
            }
        elif kind == 2:
            yield {
                "action": "approve",
                "actor_label": "présidente@fonds.example.fr",
                "role": "comite",
                "obj": ("dossiers.dossier", dossier),
                "at": at,
                "payload": {
                    "reference": f"FJJ-2030-{dossier:06d}",
                    "from": "in_committee",
                    "to": "approved",
                    "motivation": "Projet de qualité, échanges réciproques « Jugendbegegnung »",
                    "data": {"amount": Decimal("7345.00") + (i % 500)},
                    "rules_version": 3,
                },
            }
        else:
            yield {
                "action": "payment_ordered",
                "actor_label": "finances@fonds.example.fr",
                "role": "finance",
                "obj": ("paiements.paymentorder", i),
                "at": at,
                "payload": {
                    "amount": Decimal("5508.75") + (i % 300),
                    "kind": "advance",
                    "end_to_end_id": f"FJJ-PO-{i:08d}",
                },
            }


def build_rows(n: int):
    """Chained rows exactly as fonds.audit.chain.append_many would write them."""
    import hashlib

    from fonds.audit.canonical import GENESIS_HASH
    from fonds.audit.chain import _prepare

    prev = GENESIS_HASH
    sha256 = hashlib.sha256
    for seq, entry in enumerate(event_entries(n), start=1):
        text_without_seq, at, actor_id, role, action, object_type, object_id = _prepare(entry)
        text = f'{text_without_seq},"seq":{seq}}}'
        digest = sha256((prev + text).encode("utf-8")).hexdigest()
        yield (seq, at, actor_id, role, action, object_type, object_id, text, prev, digest)
        prev = digest


def load(n: int) -> tuple[int, str]:
    from django.db import connection, transaction

    from fonds.audit.chain import EVENT_TABLE, HEAD_TABLE, INSERT_COLUMNS

    columns = ", ".join(INSERT_COLUMNS)
    last_seq, last_hash = 0, None
    if connection.vendor == "postgresql":
        with transaction.atomic():
            connection.ensure_connection()
            with connection.connection.cursor() as cursor:
                with cursor.copy(f"COPY {EVENT_TABLE} ({columns}) FROM STDIN") as copy:
                    for row in build_rows(n):
                        copy.write_row(row)
                        last_seq, last_hash = row[0], row[9]
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {HEAD_TABLE} SET last_seq = %s, last_hash = %s WHERE id = 1",
                    [last_seq, last_hash],
                )
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {EVENT_TABLE}")
        return last_seq, last_hash
    adapt = connection.ops.adapt_datetimefield_value
    placeholders = ", ".join(["%s"] * len(INSERT_COLUMNS))
    batch = []
    with transaction.atomic(), connection.cursor() as cursor:
        for row in build_rows(n):
            batch.append((row[0], adapt(row[1]), *row[2:]))
            if len(batch) == 50000:
                cursor.executemany(f"INSERT INTO {EVENT_TABLE} ({columns}) VALUES ({placeholders})", batch)
                last_seq, last_hash = batch[-1][0], batch[-1][9]
                batch = []
        if batch:
            cursor.executemany(f"INSERT INTO {EVENT_TABLE} ({columns}) VALUES ({placeholders})", batch)
            last_seq, last_hash = batch[-1][0], batch[-1][9]
        cursor.execute(
            f"UPDATE {HEAD_TABLE} SET last_seq = %s, last_hash = %s WHERE id = 1", [last_seq, last_hash]
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return last_seq, last_hash


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument(
        "--events",
        type=int,
        default=100_000,
        help="default 100,000 (make bench); the target is for --events 1000000",
    )
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
    parser.add_argument("--runs", type=int, default=3, help="timed verifications (default 3)")
    parser.add_argument("--chunk-size", type=int, default=10000)
    parser.add_argument(
        "--workers", default="1,2", help="verify() workers to time, comma-separated (default 1,2)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the database and reuse it when it already holds --events events",
    )
    common.add_options(parser, db_name=True, tmp=True)
    args = parser.parse_args()

    where, cleanup = setup_database(args)
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from fonds.audit.chain import verify

        call_command("migrate", verbosity=0)
        print(f"machine     : {machine()}")
        if connection.vendor == "sqlite":
            version = ".".join(map(str, connection.Database.sqlite_version_info))
        else:
            version = connection.pg_version
        print(f"database    : {where} ({connection.vendor} {version})")
        from fonds.audit.models import ChainHead

        head = ChainHead.objects.filter(pk=1).values_list("last_seq", "last_hash").first()
        if args.reuse and head and head[0] == args.events:
            last_seq, last_hash = head
            print(f"fill        : reusing {args.events} events already loaded")
        else:
            if head and head[0]:
                raise SystemExit("the bench database holds another chain: drop it or run without --reuse")
            started = time.perf_counter()
            last_seq, last_hash = load(args.events)
            print(
                f"fill        : {args.events} chained events built and loaded in "
                f"{time.perf_counter() - started:.1f} s"
            )
        if connection.vendor == "sqlite":
            size = Path(connection.settings_dict["NAME"]).stat().st_size
        else:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_total_relation_size('audit_auditevent')")
                size = cursor.fetchone()[0]
        print(f"table size  : {size / 1024 / 1024:.0f} MiB")
        target = 10.0 * args.events / 1_000_000
        summary = []
        for workers in [int(w) for w in args.workers.split(",") if w]:
            timings = []
            for run in range(1, args.runs + 1):
                load_before = os.getloadavg()[0]
                cpu_before = os.times()
                started = time.perf_counter()
                result = verify(chunk_size=args.chunk_size, workers=workers)
                elapsed = time.perf_counter() - started
                cpu_after = os.times()
                cpu = sum(cpu_after[i] - cpu_before[i] for i in range(4))  # user+system, self+children
                timings.append(elapsed)
                assert result.ok and result.count == args.events and result.last_hash == last_hash, result
                print(
                    f"verify w={workers} #{run}: {result.count} events in {elapsed:.2f} s "
                    f"({result.count / elapsed:,.0f} events/s), "
                    f"verifier CPU {cpu:.2f} s, load avg {load_before:.1f}, intact",
                    flush=True,
                )
            summary.append((workers, min(timings), statistics.median(timings)))
        for workers, best, median in summary:
            verdict = "MET" if median <= target else "MISSED"
            print(
                f"result w={workers}  : best {best:.2f} s, median {median:.2f} s for {args.events} events; "
                f"target ≤ {target:.1f} s: {verdict}"
            )
        if args.keep:
            print(f"kept        : {os.environ['FJJ_DATABASE_URL']}")
    finally:
        if not (args.keep or args.reuse):
            cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
