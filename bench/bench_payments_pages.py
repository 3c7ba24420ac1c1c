#!/usr/bin/env python
"""Benchmark of the payment pages (issue 6, UI) at scale: what a finance officer waits for.

    .venv/bin/python bench/bench_payments_pages.py                      # SQLite (temp file)
    .venv/bin/python bench/bench_payments_pages.py --backend postgres   # fjj_bench_payments_pages (temporary)
    options: --orders 20000 --communes 2000 --batch 5000 --runs 15
             --explain (PostgreSQL: the page-100 row query with and without the (created_at, id) index)

It migrates a dedicated database, seeds ``--orders`` ready advance orders (``bench_payments.seed``:
one dossier each, communes with certified bank details; bulk-inserted, not timed), builds one batch
of ``--batch`` of them through ``batches.build_batch`` and marks it sent, then measures with the
Django test Client (server side, templates included) for the finance officer:

* the orders list, page 1 and page 100, unfiltered and filtered (state + amount range + sort);
* the batch confirmation of the whole filtered selection (count and total of every ready order);
* the batch page of the ``--batch``-transfer batch (paged transfers, pending count and total);
* the execution confirmation of that batch (pending count, total, the first 100 transfers);

p50/p95 wall and CPU (``time.process_time``) per page and the query count (which must not grow
with the data). The load average is printed. It prints figures; it is not a test.
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
sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from bench_audit_verify import DEFAULT_PG_URL, machine, setup_database  # noqa: E402

DB_NAME = "fjj_bench_payments_pages"


def p95(values):
    values = sorted(values)
    return values[max(0, int(round(0.95 * len(values))) - 1)]


def measure(client, url, runs):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url, secure=True)  # warm-up (production settings redirect plain HTTP)
    if response.status_code != 200:
        raise SystemExit(f"{url}: HTTP {response.status_code}")
    wall, cpu = [], []
    for _ in range(runs):
        w, c = time.perf_counter(), time.process_time()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, secure=True)
        wall.append((time.perf_counter() - w) * 1000)
        cpu.append((time.process_time() - c) * 1000)
        assert response.status_code == 200
    return {
        "p50": statistics.median(wall),
        "p95": p95(wall),
        "cpu50": statistics.median(cpu),
        "cpu95": p95(cpu),
        "queries": len(queries.captured_queries),
        "kb": len(response.content) / 1024,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--orders", type=int, default=20000)
    parser.add_argument("--communes", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--explain",
        action="store_true",
        help=(
            "PostgreSQL: EXPLAIN ANALYZE of the page-100 row query "
            "with and without the (created_at, id) index"
        ),
    )
    common.add_options(parser, db_name=True, tmp=True)
    args = parser.parse_args()

    description, cleanup = setup_database(args, DB_NAME)
    os.environ.setdefault("FJJ_REQUIRE_2FA", "0")  # the pages, not the sign-in, are measured
    import django

    django.setup()
    import logging

    logging.disable(logging.WARNING)
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    settings.ALLOWED_HOSTS = ["*"]
    # production settings (DEBUG off) but no collected static files here: plain static URLs
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    try:
        call_command("migrate", verbosity=0)
        from bench_payments import seed

        from fonds.payments.batches import build_batch
        from fonds.payments.execution import mark_batch_sent
        from fonds.payments.models import PaymentOrder

        print(f"machine: {machine()}")
        print(f"database: {description}")
        t = time.perf_counter()
        finance = seed(args.orders, args.communes)
        ids = list(PaymentOrder.objects.order_by("pk").values_list("pk", flat=True)[: args.batch])
        batch = build_batch(by=finance, order_ids=ids).batch
        mark_batch_sent(batch, by=finance)
        print(
            f"seeded {args.orders:,} orders over {args.communes:,} communes, batch of {batch.count:,} sent, "
            f"in {time.perf_counter() - t:.1f} s (not timed)"
        )

        client = Client()
        client.force_login(finance)
        orders = reverse("payments:orders")
        filtered = "state=ready&amount_min=1000&amount_max=5000&sort=-amount"
        pages = [
            ("orders list, page 1", orders),
            ("orders list, page 100", orders + "?page=100"),
            ("orders list filtered, page 1", orders + "?" + filtered),
            (
                "batch confirmation (whole selection)",
                reverse("payments:build-batch")
                + "?selection="
                + filtered.replace("&", "%26").replace("=", "%3D"),
            ),
            (f"batch page ({batch.count:,} transfers)", reverse("payments:batch", args=[batch.pk])),
            ("execution confirmation", reverse("payments:batch-action", args=[batch.pk, "execution"])),
        ]
        print(
            f"{'page':44} {'p50 ms':>8} {'p95 ms':>8} {'CPU p50':>8} {'CPU p95':>8} {'queries':>8} {'KiB':>7}"
        )
        for label, url in pages:
            r = measure(client, url, args.runs)
            print(
                f"{label:44} {r['p50']:8.1f} {r['p95']:8.1f} {r['cpu50']:8.1f} {r['cpu95']:8.1f} "
                f"{r['queries']:8d} {r['kb']:7.0f}"
            )
        print("load average now " + " / ".join(f"{x:.2f}" for x in os.getloadavg()))
        if args.explain:
            explain_order_index(args.runs)
    finally:
        if not args.keep:
            cleanup()


def explain_order_index(runs: int) -> None:
    """The orders list's page-100 row query in the database, with the index ``payments_order_created_id``
    and without it (dropped inside a transaction that is rolled back): execution time p50 and the plan's
    scan/sort lines. PostgreSQL only."""
    from django.db import connection
    from django.http import QueryDict

    from fonds.payments import queries

    if connection.vendor != "postgresql":
        print("--explain: PostgreSQL only")
        return
    qs, _ = queries.filter_orders(QueryDict(""))
    sql, params = queries.order_rows(qs)[99 * 50 : 100 * 50 + 1].query.sql_with_params()

    def run(label):
        times, plan = [], []
        with connection.cursor() as cursor:
            for _ in range(max(3, runs)):
                cursor.execute("EXPLAIN (ANALYZE, FORMAT TEXT) " + sql, params)
                plan = [row[0] for row in cursor.fetchall()]
                times.append(float(plan[-1].split(":")[1].split()[0]))
        shown = [
            line.strip()
            for line in plan
            if "payments_paymentorder" in line and ("Scan" in line or "Sort" in line) or "Sort Method" in line
        ]
        print(
            f"{label}: execution p50 {statistics.median(times):.1f} ms (min {min(times):.1f}, max "
            f"{max(times):.1f}); load {os.getloadavg()[0]:.2f}"
        )
        for line in shown:
            print(f"    {line[:140]}")

    run("page-100 rows, with index payments_order_created_id")
    with connection.cursor() as cursor:
        cursor.execute("BEGIN")
        try:
            cursor.execute("DROP INDEX payments_order_created_id")
            run("page-100 rows, without the index")
        finally:
            cursor.execute("ROLLBACK")


if __name__ == "__main__":
    main()
