#!/usr/bin/env python
"""Benchmark of the porteur's front office on a large data set (issue 3).

    FJJ_VAR_DIR=/tmp/fjj-bench-var .venv/bin/python manage.py migrate
    FJJ_VAR_DIR=/tmp/fjj-bench-var .venv/bin/python manage.py import_communes
    FJJ_VAR_DIR=/tmp/fjj-bench-var .venv/bin/python manage.py seed_bench --campaigns 5
    FJJ_VAR_DIR=/tmp/fjj-bench-var .venv/bin/python bench/bench_front_office.py --runs 50

Creates (once) a porteur for a commune of the data set with a complete draft of the latest
campaign, then measures "Mes dossiers", each of the six form steps and the check page with the
Django test Client: server time p50/p95 (wall and CPU) over ``--runs`` requests after a warm-up,
and the query count. It prints figures; it is not a test (targets: p95 ≤ 50 ms, query count constant).
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
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fonds.settings")

from bench_instruction import machine, p95  # noqa: E402


def timed_get(client, url, runs):
    """p50/p95 of the server time (wall, and CPU of this process: ``time.process_time``) and the
    query count of one GET; the test Client runs the view in this process, so the CPU time is the
    server's own work, the part of the wall time the shared machine's load does not inflate."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)  # warm-up
    if response.status_code != 200:
        raise SystemExit(f"{url}: HTTP {response.status_code}")
    wall, cpu = [], []
    for _ in range(runs):
        began, began_cpu = time.perf_counter(), time.process_time()
        client.get(url)
        wall.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return statistics.median(wall), p95(wall), statistics.median(cpu), p95(cpu), len(queries)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import transaction
    from django.test import Client
    from django.urls import reverse

    settings.ALLOWED_HOSTS = ["testserver", *settings.ALLOWED_HOSTS]
    from django.contrib.auth.models import Group

    from fonds.accounts.models import User
    from fonds.depot.steps import STEPS
    from fonds.dossiers.models import Dossier
    from fonds.referentiel.models import Campaign

    total = Dossier.objects.count()
    campaign = Campaign.objects.order_by("-opens_at").first()
    if total == 0 or campaign is None:
        raise SystemExit("Base vide : lancez d'abord seed_bench (voir l'en-tête du script).")
    email = "porteur-bench@bench.fjj.fr"
    user = User.objects.filter(email=email).first()
    if user is None:
        commune_id = Dossier.objects.filter(campaign=campaign).values_list("commune_id", flat=True).first()
        with transaction.atomic():
            user = User.objects.create_user(email, "bench-password-2026", commune_id=commune_id)
            user.groups.add(Group.objects.get_or_create(name="porteur")[0])
    draft = Dossier.objects.filter(commune_id=user.commune_id, status="draft").first()
    if draft is None:
        from tests.factories import make_dossier

        with transaction.atomic():
            draft = make_dossier(campaign=campaign, commune=user.commune, porteur=user)
    client = Client()
    client.force_login(user)
    mine = Dossier.objects.filter(commune_id=user.commune_id).count()
    print(f"Front office — {total:,} dossiers in the database, {mine} for this commune · {machine()}")
    print(f"{'page':<30} {'wall p50':>9} {'wall p95':>9} {'CPU p50':>8} {'CPU p95':>8} {'queries':>8}   (ms)")
    pages = [("Mes dossiers", reverse("depot:my-dossiers"))]
    pages += [(f"étape {s.slug}", reverse("depot:step", args=[draft.pk, s.slug])) for s in STEPS]
    pages.append(("vérification (E1–E9, montant)", reverse("depot:check", args=[draft.pk])))
    for label, url in pages:
        w50, w95, c50, c95, queries = timed_get(client, url, args.runs)
        print(f"{label:<30} {w50:9.1f} {w95:9.1f} {c50:8.1f} {c95:8.1f} {queries:8d}")
    print(f"load average at the end: {' / '.join(f'{x:.1f}' for x in os.getloadavg())} (1/5/15 min)")


if __name__ == "__main__":
    main()
