#!/usr/bin/env python
"""Bulk actions on 20,000 dossiers, one worker (issue 4: ≥ 500 dossiers/s per worker).

    cp -r /tmp/fjj-bench-var /tmp/fjj-bench-mine      # the data set is MODIFIED: work on a copy
    FJJ_VAR_DIR=/tmp/fjj-bench-mine .venv/bin/python bench/bench_bulk.py --dossiers 20000
    FJJ_DATABASE_URL=postgres://… FJJ_VAR_DIR=… .venv/bin/python bench/bench_bulk.py --dossiers 20000

On the ``seed_bench`` data set, runs one ``BulkJob`` per action, in this order, through
``fonds.bulk.services.run_chunk`` (the function behind the Celery task, in-process):

* ``assign`` — 20,000 submitted dossiers to another instructor;
* ``start_instruction`` — 20,000 submitted dossiers (eligibility re-check, viewflow adoption:
  the seeded dossiers have no process yet);
* ``schedule`` — 20,000 instructed dossiers. The data set has fewer (9 %); when short, the
  missing ones are taken among the dossiers in instruction *without a process yet* and set to
  "instructed" by a plain ``UPDATE`` *before* the timer starts (bench setup, like ``seed_bench``
  itself, which inserts dossiers directly in their status; they get their process by adoption —
  a dossier whose process waits in another stage would need the slow per-dossier realignment);
* ``request_corrections`` — 20,000 dossiers in instruction (same message, fields, deadline).

Prints, per action: wall time, CPU time of this process (``time.process_time()``), on PostgreSQL the
CPU time of its server backend (``/proc/<pid>/stat``, server on this machine), dossiers/s
(wall and CPU), the progress read back from the job (every ~30 s), refusals, and the load
average. ``--per-dossier`` runs the old path (``perform`` per dossier) for comparison.
``settings.DEBUG`` is turned off for the run, as in a worker (``--debug`` keeps the development
setting, under which Django formats and keeps every query's SQL: the figures recorded before
26 November 2026 15:45 UTC were measured that way).
Prints figures; not a test.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fonds.settings")

ACTIONS = ("assign", "start_instruction", "schedule", "request_corrections")
SOURCE = {
    "assign": "submitted",
    "start_instruction": "submitted",
    "request_corrections": "in_instruction",
    "schedule": "instructed",
}


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def server_cpu(connection) -> float | None:
    """CPU seconds used so far by this connection's PostgreSQL backend (``/proc/<pid>/stat``,
    readable when the server runs on this machine); None elsewhere (SQLite runs in-process)."""
    if connection.vendor != "postgresql":
        return None
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    except OSError:
        return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dossiers", type=int, default=20000)
    parser.add_argument("--actions", default=",".join(ACTIONS))
    parser.add_argument("--chunk", type=int, default=500)
    parser.add_argument(
        "--per-dossier", action="store_true", help="the per-dossier path (perform in a loop), for comparison"
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        help=(
            "keep settings.DEBUG as configured "
            "(development default: on, every query's SQL formatted and kept)"
        ),
    )
    args = parser.parse_args()

    import django

    django.setup()
    logging.disable(logging.WARNING)  # adoption warnings: one per seeded dossier
    import datetime as dt

    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from fonds.accounts.models import User
    from fonds.accounts.roles import Role
    from fonds.audit.chain import verify
    from fonds.bulk import services
    from fonds.bulk.models import BulkJob
    from fonds.dossiers.models import Dossier
    from fonds.instruction.models import InstructorConflict

    if not args.debug:
        # a Celery worker runs with DEBUG off (production profile): with it on, Django formats
        # and keeps the SQL of every query (the multi-row INSERTs of a chunk included)
        settings.DEBUG = False
    db = settings.DATABASES["default"]
    print(
        f"database: {connection.vendor} {db['NAME']} · nproc={os.cpu_count()} · Python "
        f"{platform.python_version()} · {timezone.now():%Y-%m-%d %H:%M} UTC · load {load()} · DEBUG "
        f"{'on' if settings.DEBUG else 'off'} (queries logged: {connection.queries_logged})"
    )
    conflicted = set(InstructorConflict.objects.values_list("user_id", flat=True))
    instructors = list(
        User.objects.filter(groups__name=Role.INSTRUCTEUR).exclude(pk__in=conflicted).order_by("pk")[:2]
    )
    if len(instructors) < 2:
        raise SystemExit("seed_bench data set expected (two instructors without declared conflicts)")
    user, other = instructors
    print(
        f"acting as {user.email} · {Dossier.objects.count()} dossiers · chunks of {args.chunk} · path: "
        f"{'perform per dossier' if args.per_dossier else 'perform_many'}"
    )

    print(
        "\n| action | dossiers | succeeded / refused | wall (s) | CPU (s) | server CPU (s) | dossiers/s wall "
        "| dossiers/s CPU | load before → after |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    results = []
    for action in [a for a in args.actions.split(",") if a]:
        status = SOURCE[action]
        ids = list(
            Dossier.objects.filter(status=status).order_by("pk").values_list("pk", flat=True)[: args.dossiers]
        )
        if action == "schedule" and len(ids) < args.dossiers:
            missing = args.dossiers - len(ids)
            extra = list(
                Dossier.objects.filter(status="in_instruction", process__isnull=True)
                .order_by("-pk")
                .values_list("pk", flat=True)[:missing]
            )
            Dossier.objects.filter(pk__in=extra).update(status="instructed")  # bench setup, untimed
            ids += extra
        params = {}
        if action == "assign":
            params = {"instructor": other.pk, "instructor_email": other.email}
        elif action == "request_corrections":
            params = {
                "motivation": "Merci de préciser le budget prévisionnel.",
                "fields": ["summary"],
                "documents": ["budget"],
                "deadline": (timezone.localdate() + dt.timedelta(days=15)).isoformat(),
            }
        job = BulkJob.objects.create(
            created_by=user,
            action=action,
            params=params,
            dossier_ids=ids,
            total=len(ids),
            status=BulkJob.State.RUNNING,
        )
        before = load()
        server0 = server_cpu(connection)
        wall0, cpu0 = time.perf_counter(), time.process_time()
        last = wall0
        progress = []
        while services.run_chunk(job.pk, args.chunk, batched=not args.per_dossier):
            now = time.perf_counter()
            if now - last > 30:
                job.refresh_from_db(fields=["done", "total"])
                progress.append(f"{job.done}/{job.total} at {now - wall0:.0f} s")
                last = now
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        server1 = server_cpu(connection)
        server = f"{server1 - server0:.1f}" if server0 is not None and server1 is not None else "—"
        job.refresh_from_db()
        results.append((action, job, wall, cpu, before, load()))
        print(
            f"| {action} | {job.done} | {job.succeeded} / {job.failed} | {wall:.1f} | {cpu:.1f} | {server} | "
            f"**{job.done / wall:.0f}** | {job.done / cpu:.0f} | {before} → {load()} |",
            flush=True,
        )
        if progress:
            print(f"|  | progress: {'; '.join(progress)} | | | | | | | |", flush=True)
    began = time.perf_counter()
    result = verify()
    print(
        f"\naudit chain after the runs: {'intact' if result.ok else 'ALTERED'} ({result.count} events, "
        f"verified in {time.perf_counter() - began:.0f} s)"
    )


if __name__ == "__main__":
    main()
