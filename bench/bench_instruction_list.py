#!/usr/bin/env python
"""Benchmark of the instructors' dossier list and queue counters at 100,000 dossiers (issue 4).

    export FJJ_VAR_DIR=/tmp/fjj-bench-var                       # SQLite, or also
    export FJJ_DATABASE_URL=postgres://postgres@127.0.0.1:5432/fjj_bench
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py seed_bench --campaigns 5
    .venv/bin/python bench/bench_instruction_list.py --runs 30

The data set is the realistic one (issue 19): five campaigns, ~158,000 dossiers, every side table
filled (assessments for the score sort, verdicts, agenda items…), ~9.5 M audit events.

For each case (a filter and a sort) and page (1 and 500 by default, 50 rows a page), prints our
list's server time p50/p95 (Django test client in-process, ``--runs`` requests after one
warm-up), the CPU time of this process p95 (on PostgreSQL the database's own CPU is not in it),
the number of queries, and the same for a Django admin changelist of the same model with the
same filter, search and sort (``bench_admin``: the list's search fields and sort columns, served
by this script at ``/bench-admin/``, not by the product), with the ratio admin p95 / our p95
(> 1: ours is faster). A search case with fewer pages than asked is measured at its last page
served (a search shows its first ``SearchPage.row_cap`` matches; the admin, all). Then the queue
counters: ``fonds.instruction.queues.queue_counts`` (the instructors' four tabs) and
``workflows.queues.counts_for`` (open viewflow tasks per queue), and the queues page.

Sessions and the shared cache as in the production profile: in Redis (``--cache-url``, by default
an empty Redis database claimed for the run and flushed at exit; ``--cache-url ''``: sessions in
the database, as the embedded profile keeps them — one query more on every page, ours and the
admin's).

Read-only on the data set except for the bench user (created once) and its sessions. It prints
figures; it asserts nothing (the query-count rules are tests: tests/instruction).
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
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fonds.settings")
# the bench signs its user in with force_login: no second factor to present (server time only)
os.environ.setdefault("FJJ_REQUIRE_2FA", "0")

import common  # noqa: E402

#: (label, our querystring, admin querystring) — same filter, search and sort on both sides; the
#: admin is ``BenchDossierAdmin`` below, its ``o=`` numbers are positions in its ``list_display``
CASES = {
    "default": (
        "sans filtre, tri par défaut (dépôt récent)",
        "",
        "o=-6",
    ),
    "status+commune": (
        "statuts déposé + en instruction, tri commune",
        "status=submitted&status=in_instruction&sort=commune",
        "status__in=submitted,in_instruction&o=3",
    ),
    "status+submitted": (
        "statuts déposé + en instruction, tri dépôt récent",
        "status=submitted&status=in_instruction&sort=-submitted",
        "status__in=submitted,in_instruction&o=-6",
    ),
    "campaign+amount": (
        "une campagne, tri montant demandé",
        "campaign={campaign}&sort=-amount",
        "campaign__id__exact={campaign}&o=-7",
    ),
    "all+population": (
        "sans filtre, tri population",
        "sort=population",
        "o=4",
    ),
    "search": (
        "recherche « saint », tri par défaut",
        "q=saint",
        "q=saint&o=-6",
    ),
    "search+status": (
        "recherche « SAINT-ETIENNE » + statuts, tri commune",
        "q=SAINT-ETIENNE&status=submitted&status=in_instruction&sort=commune",
        "q=SAINT-ETIENNE&status__in=submitted,in_instruction&o=3",
    ),
}


def bench_admin():
    """A Django admin of the dossiers with the list's filters, search fields and sort columns
    (issue 19: like for like), served at ``/bench-admin/`` by a URLconf of this script only."""
    import types

    from django.conf import settings
    from django.contrib import admin
    from django.urls import include, path

    from fonds.dossiers.models import Dossier

    class BenchDossierAdmin(admin.ModelAdmin):
        list_display = (
            "reference",
            "title",
            "commune_name",
            "commune_population",
            "status",
            "submitted_at",
            "requested_amount",
            "created_at",
        )
        list_filter = ("status", "campaign")
        search_fields = ("reference", "title", "commune__name", "commune__code")
        ordering = ("-submitted_at", "-pk")
        list_per_page = 50

    site = admin.AdminSite(name="bench_admin")
    site.register(Dossier, BenchDossierAdmin)
    urls = types.ModuleType("bench_instruction_list_urls")
    urls.urlpatterns = [path("bench-admin/", site.urls), path("", include(settings.ROOT_URLCONF))]
    sys.modules[urls.__name__] = urls
    settings.ROOT_URLCONF = urls.__name__


def machine() -> str:
    cpu = "?"
    try:
        cpu = next(
            line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    return f"nproc={os.cpu_count()} · CPU {cpu} · Python {platform.python_version()}"


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def p95(values):
    values = sorted(values)
    return values[max(0, int(round(0.95 * len(values))) - 1)]


def timed(call, runs):
    """(p50 wall, p95 wall, p95 cpu) in ms of ``call()`` over ``runs`` calls after a warm-up."""
    call()
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        call()
        cpus.append((time.process_time() - cpu) * 1000)
        walls.append((time.perf_counter() - wall) * 1000)
    return statistics.median(walls), p95(walls), p95(cpus)


def timed_get(client, url, runs):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def get():
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
        return response

    p50, p95_, cpu = timed(get, runs)
    with CaptureQueriesContext(connection) as queries:
        response = get()
    return p50, p95_, cpu, len(queries), response


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--pages", default="1,500")
    parser.add_argument("--size", type=int, default=50, help="rows a page (ours: 25/50/100/200)")
    parser.add_argument("--cases", default=",".join(CASES), help=f"among {', '.join(CASES)}")
    parser.add_argument("--no-admin", action="store_true")
    common.add_options(parser, redis_db=True, cache_url=True, keep=False)
    args = parser.parse_args()
    # as production runs: sessions read from Redis (settings.SESSION_ENGINE); none on a laptop
    args.cache_url = common.shared_cache_url(args, optional=True)
    os.environ["FJJ_CACHE_URL"] = args.cache_url
    common.report()

    import django

    django.setup()
    logging.disable(logging.WARNING)
    from django.conf import settings
    from django.contrib.auth.models import Group
    from django.http import QueryDict
    from django.test import Client

    from fonds.accounts.models import User
    from fonds.accounts.roles import Role
    from fonds.dossiers.models import Dossier
    from fonds.instruction.filters import filter_dossiers
    from fonds.instruction.queues import queue_counts
    from fonds.instruction.views.lists import SearchPage
    from fonds.referentiel.models import Campaign
    from workflows.queues import counts_for

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    bench_admin()
    from fonds.startup import freeze_startup

    freeze_startup()  # as the web processes do (fonds.wsgi): for our list and the admin alike
    settings.DEBUG = False
    vendor = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    total = Dossier.objects.count()
    print(f"# bench_instruction_list — {total} dossiers — {vendor} — {machine()} — load {load()}")
    print(f"# cache and sessions: {args.cache_url or 'none (sessions in the database)'}")
    user, _ = User.objects.get_or_create(
        email="bench-runner@bench.fjj.fr",
        defaults={"username": "bench-runner@bench.fjj.fr", "is_staff": True, "is_superuser": True},
    )
    user.groups.add(Group.objects.get_or_create(name=Role.INSTRUCTEUR)[0])
    client = Client()
    client.force_login(user)
    campaign = Campaign.objects.annotate(n=django.db.models.Count("dossiers")).order_by("-n").first()

    print(f"\n{args.size} rows a page, {args.runs} requests each (p95 wall; cpu = this process's CPU p95)\n")
    print(
        "| case | page | our list p50 / p95 (ms) | cpu p95 | queries | admin p50 / p95 (ms) | queries | "
        "admin p95 / ours |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for key in [k for k in args.cases.split(",") if k]:
        label, ours_qs, admin_qs = CASES[key]
        ours_qs, admin_qs = (q.format(campaign=campaign.pk) for q in (ours_qs, admin_qs))
        for page in [int(p) for p in args.pages.split(",") if p]:
            if "q=" in ours_qs:  # a search has fewer pages: its last one served if it has no page ``page``
                found = filter_dossiers(user, QueryDict(ours_qs))[0].count()
                page = max(1, min(page, -(-min(found, SearchPage.row_cap) // args.size)))
            ours = timed_get(
                client, f"/instruction/dossiers/?{ours_qs}&taille={args.size}&page={page}", args.runs
            )
            if "Aucun dossier." in ours[4].content.decode():
                raise SystemExit(f"{key} page {page}: no dossier (too few for this page?)")
            if args.no_admin:
                admin_cells = "— | — | —"
            else:
                admin = timed_get(
                    client, f"/bench-admin/dossiers/dossier/?{admin_qs}&p={page}", args.runs
                )  # list_per_page = 50
                admin_cells = f"{admin[0]:.1f} / {admin[1]:.1f} | {admin[3]} | {admin[1] / ours[1]:.1f}×"
            print(
                f"| {label} | {page} | {ours[0]:.1f} / **{ours[1]:.1f}** | {ours[2]:.1f} | {ours[3]} | "
                f"{admin_cells} |",
                flush=True,
            )

    print(f"\nqueue counters ({args.runs} calls each, load {load()}):\n")
    print("| counter | p50 (ms) | p95 (ms) | cpu p95 | value |")
    print("|---|---|---|---|---|")
    for name, call in (
        ("queue_counts (instruction tabs)", lambda: queue_counts(user)),
        ("workflows.queues.counts_for", lambda: counts_for(user)),
    ):
        p50, p95_, cpu = timed(call, args.runs)
        print(f"| {name} | {p50:.1f} | **{p95_:.1f}** | {cpu:.1f} | {call()} |")
    page = timed_get(client, "/instruction/", args.runs)
    print(
        f"| queues page (/instruction/, tab « à prendre ») | {page[0]:.1f} | **{page[1]:.1f}** | "
        f"{page[2]:.1f} | {page[3]} queries |"
    )
    print(f"\nload average at the end: {load()}")


if __name__ == "__main__":
    main()
