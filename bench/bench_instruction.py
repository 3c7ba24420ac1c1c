#!/usr/bin/env python
"""Benchmark of the instruction back office on a large data set (issue 4).

    FJJ_VAR_DIR=/tmp/fjj-bench-var .venv/bin/python manage.py migrate
    FJJ_VAR_DIR=/tmp/fjj-bench-var .venv/bin/python manage.py seed_bench --campaigns 5
    FJJ_VAR_DIR=/tmp/fjj-bench-var .venv/bin/python bench/bench_instruction.py --runs 30 --bulk 20000

Prints, for the dossier list with a filter and a sort (page 1 and page 500) and for the Django
admin changelist of the same model on the same data: server time p50/p95 (Django test Client,
``--runs`` requests each, after one warm-up) and query count, and the ratio; the queue counters
(``queue_counts``) p50/p95; a bulk action run in-process (``fonds.bulk.services.run_job``, the
function behind the Celery task) with dossiers/s and the progress after each chunk.
The bulk action MODIFIES the data set (re-seed for another run). It prints figures; not a test.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fonds.settings")
os.environ.setdefault(
    "FJJ_REQUIRE_2FA", "0"
)  # force_login has no second factor (list and counters: see bench_instruction_list.py)


def machine() -> str:
    cpu = "?"
    try:
        cpu = next(
            line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    python = platform.python_version()
    return f"nproc={os.cpu_count()} · CPU {cpu} · Python {python} · load {os.getloadavg()[0]:.1f}"


def p95(values):
    values = sorted(values)
    return values[max(0, int(round(0.95 * len(values))) - 1)]


def timed_get(client, url, runs):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)  # warm-up
    if response.status_code != 200:
        raise SystemExit(f"{url}: HTTP {response.status_code} (too few dossiers for this page?)")
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - began) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return statistics.median(times), p95(times), len(queries)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--bulk", type=int, default=20000, help="dossiers of the bulk action (0: skip)")
    parser.add_argument(
        "--bulk-action", default="assign", choices=["assign", "start_instruction", "schedule"]
    )
    parser.add_argument("--pages", default="1,500")
    parser.add_argument("--chunk", type=int, default=500)
    parser.add_argument("--chunk-seconds", type=float, default=1.0)
    args = parser.parse_args()

    import django

    django.setup()
    logging.disable(logging.WARNING)
    from django.conf import settings
    from django.contrib.auth.models import Group
    from django.test import Client

    from fonds.accounts.models import User
    from fonds.accounts.roles import Role
    from fonds.bulk import services
    from fonds.bulk.models import BulkJob
    from fonds.dossiers.models import Dossier
    from fonds.instruction.filters import filter_dossiers
    from fonds.instruction.queues import queue_counts

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.DEBUG = False
    total = Dossier.objects.count()
    print(
        f"# bench_instruction — {total} dossiers — "
        f"{settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]} — {machine()}"
    )
    user, _ = User.objects.get_or_create(
        email="bench-runner@bench.fjj.fr",
        defaults={"username": "bench-runner@bench.fjj.fr", "is_staff": True, "is_superuser": True},
    )
    user.groups.add(Group.objects.get_or_create(name=Role.INSTRUCTEUR)[0])
    client = Client()
    client.force_login(user)

    filt = "status=submitted&status=in_instruction&sort=commune&taille=50"
    rows = []
    for page in [int(p) for p in args.pages.split(",") if p]:
        ours = timed_get(client, f"/instruction/dossiers/?{filt}&page={page}", args.runs)
        admin = timed_get(
            client, f"/admin/dossiers/dossier/?status__in=submitted,in_instruction&o=3&p={page}", args.runs
        )
        rows.append((page, ours, admin))
    print(
        "\n| page | our list p50 / p95 (ms) | queries | admin changelist p50 / p95 (ms) | queries | ratio "
        "p95 admin/ours |"
    )
    print("|---|---|---|---|---|---|")
    for page, ours, admin in rows:
        print(
            f"| {page} | {ours[0]:.1f} / **{ours[1]:.1f}** | {ours[2]} | {admin[0]:.1f} / {admin[1]:.1f} | "
            f"{admin[2]} | {admin[1] / ours[1]:.1f}× |"
        )

    times = []
    for _ in range(args.runs):
        began = time.perf_counter()
        queue_counts(user)
        times.append((time.perf_counter() - began) * 1000)
    page = timed_get(client, "/instruction/", args.runs)
    print(
        f"\nqueue counters (queue_counts, one aggregate): p50 {statistics.median(times):.1f} ms · p95 "
        f"**{p95(times):.1f} ms** · queues page p95 {page[1]:.1f} ms, {page[2]} queries"
    )

    if args.bulk:
        status = {"assign": "submitted", "start_instruction": "submitted", "schedule": "instructed"}[
            args.bulk_action
        ]
        qs, _ = filter_dossiers(user, {"status": status, "sort": "submitted"})
        began = time.perf_counter()
        ids = list(qs.values_list("pk", flat=True)[: args.bulk])
        select_ms = (time.perf_counter() - began) * 1000
        params = {}
        if args.bulk_action == "assign":
            target = (
                User.objects.filter(groups__name=Role.INSTRUCTEUR).exclude(pk=user.pk).order_by("pk").first()
            )
            params = {"instructor": target.pk, "instructor_email": target.email}
        job = BulkJob.objects.create(
            created_by=user, action=args.bulk_action, params=params, dossier_ids=ids, total=len(ids)
        )
        print(
            f"\nbulk {args.bulk_action} on {len(ids)} dossiers (selection frozen in {select_ms:.0f} ms), "
            f"chunks of {args.chunk}, one worker in-process:"
        )
        BulkJob.objects.filter(pk=job.pk).update(status=BulkJob.State.RUNNING)
        began = time.perf_counter()
        last = began
        while services.run_chunk(job.pk, args.chunk, args.chunk_seconds):
            now = time.perf_counter()
            if now - last > 5:
                job.refresh_from_db()
                print(
                    f"  progress {job.done}/{job.total} ({job.percent} %) — {job.done / (now - began):.0f} "
                    "dossiers/s"
                )
                last = now
        elapsed = time.perf_counter() - began
        job.refresh_from_db()
        print(
            f"  done: {job.done} processed, {job.succeeded} succeeded, {job.failed} refused in {elapsed:.1f} "
            f"s → **{job.done / elapsed:.0f} dossiers/s** (status {job.status})"
        )


if __name__ == "__main__":
    main()
