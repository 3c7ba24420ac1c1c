#!/usr/bin/env python
"""Benchmark of the comité pages (issue 5, UI): a 500-dossier session read by the chair.

    .venv/bin/python bench/bench_comite_pages.py --dossiers 500 --runs 20

It creates its own SQLite database in a temporary folder (``FJJ_VAR_DIR``, ``--tmp``; removed at
exit unless ``--keep``; nothing else is touched), migrates it, seeds ``--dossiers`` instructed
dossiers and 7 committee members, drives a
session through the comité's services (agenda, convocation, sitting, attendance; the first
tenth of the dossiers voted, closed and decided, one vote left open) and measures, with the Django
test Client, the server time of the session page (ranked agenda + history), the chair's sitting
page (quorum per dossier + tallies) and one dossier's deliberation page: p50/p95 wall and CPU
(``time.process_time``: this process's own work, which the shared machine's load does not
inflate) and the query count, which must not grow with the number of dossiers. It prints figures;
it is not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import common  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fonds.settings")
os.environ.setdefault("FJJ_REQUIRE_2FA", "0")  # the pages, not the sign-in, are measured


def p95(values):
    values = sorted(values)
    return values[max(0, int(round(0.95 * len(values))) - 1)]


def load() -> str:
    return "load average " + " / ".join(f"{x:.2f}" for x in os.getloadavg())


def timed_get(client, url, runs):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)  # warm-up
    if response.status_code != 200:
        raise SystemExit(f"{url}: HTTP {response.status_code} {response.get('Location', '')}")
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
    parser.add_argument("--dossiers", type=int, default=500)
    parser.add_argument("--runs", type=int, default=20)
    common.add_options(parser, tmp=True)
    args = parser.parse_args()

    var = str(common.temp_dir("fjj-bench-comite-pages", args.tmp, keep=args.keep))
    common.report()
    os.environ["FJJ_VAR_DIR"] = var
    os.environ.pop("FJJ_DATABASE_URL", None)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    settings.ALLOWED_HOSTS = ["*"]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from fonds.celery import app

    app.conf.task_always_eager = True
    call_command("migrate", verbosity=0)

    from fonds import clock
    from fonds.comite import composition, decisions, votes
    from fonds.comite import convocation as comite_convocation
    from fonds.comite import sessions as comite_sessions
    from fonds.comite import sitting as comite_sitting
    from tests.comite.conftest import instructed_dossier
    from tests.factories import make_campaign, make_user

    print(
        f"comité pages — {args.dossiers} dossiers, {args.runs} runs, SQLite in {var} — "
        f"nproc={os.cpu_count()} — {load()}",
        flush=True,
    )
    began = time.perf_counter()
    campaign = make_campaign(envelope=10**9)
    admin = make_user("admin")
    members = [make_user("comite", first_name=f"Membre{i}", last_name="Comité") for i in range(7)]
    chair = members[0]
    for i in range(args.dossiers):
        instructed_dossier(campaign, score=40 + (i * 37) % 60, population=100 + (i * 53) % 3400)
    composition.appoint(
        campaign, by=admin, members=members
    )  # the session convenes the campaign's composition
    session = comite_sessions.create_session(
        campaign, by=admin, starts_at=timezone.now() + dt.timedelta(days=10), chair=chair, place="Paris"
    )
    comite_convocation.build_agenda(session, by=admin)
    comite_convocation.send_convocation(session, by=admin)
    clock.travel_to(session.starts_at)  # a session opens at its scheduled start
    comite_sitting.open_sitting(session, by=chair)
    comite_sitting.record_attendance(session, by=chair, presence={m: "present" for m in members})
    items = list(session.items.order_by("rank"))
    for item in items[: max(1, args.dossiers // 10)]:
        votes.open_vote(item, by=chair)
        for m in members:
            votes.cast_vote(item, by=m, choice="pour")
        votes.close_vote(item, by=chair)
        decisions.decide(item, by=chair, outcome="approve")
    votes.open_vote(items[-1], by=chair)
    print(f"  seeded in {time.perf_counter() - began:.1f} s", flush=True)

    client = Client()
    client.force_login(chair)
    for label, url in [
        ("session page (agenda + history)", reverse("comite:session", args=[session.pk])),
        ("sitting page (quorum + tallies)", reverse("comite:sitting", args=[session.pk])),
        ("deliberation page (one dossier)", reverse("comite:item", args=[session.pk, items[-1].pk])),
        ("sessions list", reverse("comite:sessions")),
    ]:
        wall50, wall95, cpu50, cpu95, queries = timed_get(client, url, args.runs)
        print(
            f"  {label:<34} wall p50 {wall50:7.1f} ms  p95 {wall95:7.1f} ms   CPU p50 {cpu50:7.1f} ms  p95 "
            f"{cpu95:7.1f} ms   {queries} queries   ({load()})",
            flush=True,
        )


if __name__ == "__main__":
    main()
