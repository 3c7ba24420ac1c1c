#!/usr/bin/env python
"""Benchmark of the public list « Projets soutenus » at 30,000 public projects (issue 22): p50/p95
of the page with its data cached (the anonymous traffic's case) and uncached (every request reads
the database: ``FJJ_PUBLIC_CACHE_SECONDS=0``), like for like — same URLs, same client, same data.
Prints figures; it asserts nothing (the query counts are tests: tests/public).

    .venv/bin/python bench/bench_public.py                 # a fresh SQLite database in a temp folder
    .venv/bin/python bench/bench_public.py --projects 30000 --runs 50 --tmp /tmp/fjj-public --keep
    FJJ_DATABASE_URL=postgres://…/fjj_bench_public .venv/bin/python bench/bench_public.py   # migrated, empty

The data set is seeded with ``bulk_create`` (communes with coordinates, partner towns, jumelages,
dossiers in the statuses of a public project, a public summary on a third of them); the Django test
client serves the requests in this process (server time: no network, no browser). The rate limit
is lifted for the run (one client would be limited).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fonds.settings")

import common  # noqa: E402

CASES = {
    "page 1": "",
    "page 50": "?page=50",
    "région + statut": "?region=84&statut=realise",
    "pays + distance": "?pays=IT&distance=500-1999",
    "recherche": "?q=saint",
}
REGIONS = ["84", "27", "53", "24", "44", "32", "28", "75", "76", "52", "93"]
COUNTRIES = [
    ("DE", 50.1, 8.7),
    ("IT", 43.8, 11.2),
    ("ES", 40.4, -3.7),
    ("PL", 52.2, 21.0),
    ("PT", 38.7, -9.1),
]
NAMES = ["Saint-Martin", "Villeneuve", "Sainte-Marie", "Beaumont", "Montigny", "Bréal", "Châteauneuf"]


def p95(values):
    values = sorted(values)
    return values[max(0, int(round(0.95 * len(values))) - 1)]


def machine() -> str:
    cpu = "?"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if "model name" in line)
    except (OSError, StopIteration):
        pass
    return f"nproc={os.cpu_count()} · CPU {cpu} · Python {platform.python_version()}"


def seed(total: int) -> None:
    """``total`` public projects, by ``bulk_create`` (a few seconds on SQLite)."""
    import datetime as dt
    from decimal import Decimal

    from fonds.accounts.models import User
    from fonds.dossiers.models import Dossier
    from fonds.dossiers.states import Status
    from fonds.public.models import Publication
    from fonds.public.rules import PUBLIC_STATUSES
    from fonds.referentiel.models import Campaign, Commune, Jumelage, PartnerTown

    rng = random.Random(22)
    now = dt.datetime(2026, 1, 15, tzinfo=dt.UTC)
    campaigns = [
        Campaign.objects.create(
            name=f"Appel à projets {year}",
            year=year,
            opens_at=now.replace(year=year),
            closes_at=now.replace(year=year) + dt.timedelta(days=60),
            activity_start=dt.date(year, 3, 1),
            activity_end=dt.date(year + 1, 2, 28),
            envelope=Decimal("5000000"),
        )
        for year in (2025, 2026)
    ]
    user = User.objects.create_user("bench-public@bench.fjj.fr", "bench-public-2026")
    n_communes = max(1, total // 10)
    communes = Commune.objects.bulk_create(
        Commune(
            code=f"{10000 + i:05d}",
            name=f"{rng.choice(NAMES)}-{i}",
            departement=f"{10 + i % 80:02d}",
            region=REGIONS[i % len(REGIONS)],
            population=rng.randint(100, 3500),
            latitude=Decimal(f"{rng.uniform(43.0, 50.5):.5f}"),
            longitude=Decimal(f"{rng.uniform(-4.0, 7.5):.5f}"),
        )
        for i in range(n_communes)
    )
    partners = PartnerTown.objects.bulk_create(
        PartnerTown(
            name=f"Partnerstadt {i}",
            country=COUNTRIES[i % len(COUNTRIES)][0],
            latitude=Decimal(f"{COUNTRIES[i % len(COUNTRIES)][1] + rng.uniform(-2, 2):.5f}"),
            longitude=Decimal(f"{COUNTRIES[i % len(COUNTRIES)][2] + rng.uniform(-2, 2):.5f}"),
        )
        for i in range(n_communes)
    )
    jumelages = Jumelage.objects.bulk_create(
        Jumelage(commune=c, partner=p) for c, p in zip(communes, partners, strict=True)
    )
    statuses = list(PUBLIC_STATUSES)
    dossiers = []
    for i in range(total):
        jumelage = jumelages[i % len(jumelages)]
        campaign = campaigns[i % 2]
        start = dt.date(campaign.year, 4, 1) + dt.timedelta(days=rng.randint(0, 300))
        dossiers.append(
            Dossier(
                reference=f"FJJ-{campaign.year}-{i + 1:06d}",
                campaign=campaign,
                commune_id=jumelage.commune_id,
                jumelage=jumelage,
                status=rng.choice(statuses),
                title=f"Échange de jeunes n° {i + 1} avec notre ville jumelle",
                start_date=start,
                end_date=start + dt.timedelta(days=8),
                youth_ages=[14, 15, 16, 17][: rng.randint(1, 4)] * 3,
                leader_ages=[35, 42],
                distance_km=rng.randint(300, 2500),
                approved_amount=Decimal(rng.randint(2000, 15000)),
                created_by=user,
            )
        )
    Dossier.objects.bulk_create(dossiers, batch_size=2000)
    ids = list(Dossier.objects.filter(status__in=statuses).values_list("pk", flat=True)[: total // 3])
    Publication.objects.bulk_create(
        (Publication(dossier_id=pk, summary="Une semaine d'échanges sportifs et culturels.") for pk in ids),
        batch_size=2000,
    )
    assert Dossier.objects.filter(status=Status.CLOSED).exists()


def timed_get(client, url: str, runs: int):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    walls = []
    client.get(url)  # warm-up (and, cached, the fill)
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        walls.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return statistics.median(walls), p95(walls), len(queries)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=30_000)
    parser.add_argument("--runs", type=int, default=40)
    common.add_options(parser, tmp=True)
    args = parser.parse_args()
    if not os.environ.get("FJJ_DATABASE_URL"):
        os.environ["FJJ_VAR_DIR"] = str(common.temp_dir("fjj-bench-public", args.tmp, keep=args.keep))
    common.report()

    import logging

    import django

    django.setup()
    logging.disable(logging.WARNING)
    from django.conf import settings
    from django.core.cache import cache
    from django.core.management import call_command
    from django.test import Client

    from fonds.dossiers.models import Dossier

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.DEBUG = False
    settings.FJJ_PUBLIC_RATE = "100000000/m"
    call_command("migrate", verbosity=0)
    if not Dossier.objects.exists():
        started = time.perf_counter()
        seed(args.projects)
        print(f"seeded {args.projects} public projects in {time.perf_counter() - started:.1f} s")
    vendor = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    total = Dossier.objects.count()
    print(
        f"# bench_public — {total} projets publics — {vendor} — {machine()} — load {os.getloadavg()[0]:.2f}"
    )
    print(
        f"{'cas':<18} {'non caché p50':>14} {'p95':>8} {'req.':>5}   {'caché p50':>10} {'p95':>8} {'req.':>5}"
    )
    client = Client()
    for label, query in CASES.items():
        url = "/projets/" + query
        settings.FJJ_PUBLIC_CACHE_SECONDS = 0
        cold = timed_get(client, url, args.runs)
        settings.FJJ_PUBLIC_CACHE_SECONDS = 60
        cache.clear()
        warm = timed_get(client, url, args.runs)
        print(
            f"{label:<18} {cold[0]:>11.1f} ms {cold[1]:>5.1f} ms {cold[2]:>5}   "
            f"{warm[0]:>7.1f} ms {warm[1]:>5.1f} ms {warm[2]:>5}"
        )
    for label, url in (
        ("API page 1", "/api/v1/public/projects/"),
        ("chiffres", "/projets/chiffres/"),
        ("carte", "/projets/carte/"),
    ):
        settings.FJJ_PUBLIC_CACHE_SECONDS = 0
        cold = timed_get(client, url, max(3, args.runs // 8))
        settings.FJJ_PUBLIC_CACHE_SECONDS = 60
        cache.clear()
        warm = timed_get(client, url, args.runs)
        print(
            f"{label:<18} {cold[0]:>11.1f} ms {cold[1]:>5.1f} ms {cold[2]:>5}   "
            f"{warm[0]:>7.1f} ms {warm[1]:>5.1f} ms {warm[2]:>5}"
        )


if __name__ == "__main__":
    main()
