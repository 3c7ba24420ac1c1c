#!/usr/bin/env python
"""Benchmark of the « Contrôle » dashboard (issue 7). Prints figures; it is not a test.

Each block's figures computed cold (cache bypassed) on the whole fund and on one campaign, then
the HTTP requests an auditor's browser makes (the page, then the five fragments) with a cold and
a warm cache. Wall and CPU time (``time.process_time``: the SQLite work runs in this process),
query counts and the load average (the machine is shared).

    cp -r /tmp/fjj-bench-var /tmp/fjj-bench-hh
    FJJ_VAR_DIR=/tmp/fjj-bench-hh .venv/bin/python manage.py migrate
    FJJ_VAR_DIR=/tmp/fjj-bench-hh .venv/bin/python bench/bench_dashboard.py [--repeat 3]
    # PostgreSQL (createdb fjj_bench_hh; migrate; seed_bench --campaigns 5; VACUUM ANALYZE);
    # the CPU column is then this process's only, the server's is not counted
    FJJ_DATABASE_URL=postgres://postgres@127.0.0.1:5432/fjj_bench_hh .venv/bin/python bench/bench_dashboard.py
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fonds.settings")
os.environ.setdefault("FJJ_REQUIRE_2FA", "0")  # the pages, not the sign-in, are measured

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from fonds.dossiers.models import Dossier  # noqa: E402
from fonds.reporting import dashboard  # noqa: E402


def measure(fn, repeat):
    walls, cpus, queries = [], [], 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            w, c = time.perf_counter(), time.process_time()
            result = fn()
            walls.append(time.perf_counter() - w)
            cpus.append(time.process_time() - c)
        queries = len(ctx.captured_queries)
        status = getattr(result, "status_code", 200)
        if status != 200:
            raise SystemExit(f"HTTP {status}: the measure would be wrong")
    return statistics.median(walls), statistics.median(cpus), queries


def line(label, wall, cpu, queries):
    print(
        f"  {label:<38} wall {wall * 1000:8.0f} ms   CPU {cpu * 1000:8.0f} ms   {queries:3d} queries   load "
        f"{os.getloadavg()[0]:.1f}"
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    print(f"dossiers: {Dossier.objects.count()}, load average at start: {os.getloadavg()}")
    campaign = Dossier.objects.order_by("-campaign_id").values_list("campaign_id", flat=True).first()
    for scope, cid in (("all campaigns", None), (f"campaign {campaign}", campaign)):
        print(f"figures, cache bypassed — {scope} (median of {args.repeat}):")
        total_w = total_c = 0.0
        for key in dashboard._FUNCTIONS:
            w, c, q = measure(lambda key=key, cid=cid: dashboard.figures(key, cid, fresh=True), args.repeat)
            total_w += w
            total_c += c
            line(key, w, c, q)
        print(f"  {'all five blocks':<38} wall {total_w * 1000:8.0f} ms   CPU {total_c * 1000:8.0f} ms")

    from django.contrib.auth.models import Group

    from fonds.accounts.models import User

    user, _ = User.objects.get_or_create(email="bench-dashboard-auditeur@bench.fjj.fr")
    user.groups.add(Group.objects.get_or_create(name="auditeur")[0])
    client = Client()
    client.force_login(user)
    print("HTTP (test client; the browser loads the five fragments in parallel, here one after the other):")
    cache.clear()
    client.get(reverse("reporting:dashboard"))  # first request of the process: templates compiled
    w, c, q = measure(lambda: client.get(reverse("reporting:dashboard")), args.repeat)
    line("page (skeleton)", w, c, q)
    for state in ("cold cache", "warm cache"):
        total_w = total_c = 0.0
        for slug in dashboard.BLOCKS:
            url = reverse("reporting:dashboard-block", args=[slug])
            w, c, q = measure(lambda url=url: client.get(url, {"partiel": "1"}), 1)
            total_w += w
            total_c += c
            line(f"fragment {slug} ({state})", w, c, q)
        print(
            f"  {'five fragments (' + state + ')':<38} wall {total_w * 1000:8.0f} ms   CPU "
            f"{total_c * 1000:8.0f} ms"
        )
    cache.clear()
    w, c, q = measure(lambda: client.get("/api/v1/dashboard/"), 1)
    line("API /api/v1/dashboard/ (cold cache)", w, c, q)
    w, c, q = measure(lambda: client.get("/api/v1/dashboard/"), 1)
    line("API /api/v1/dashboard/ (warm cache)", w, c, q)


if __name__ == "__main__":
    main()
