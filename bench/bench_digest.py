#!/usr/bin/env python
"""Benchmark: the daily notification digest for 1,000 agents and 100,000 dossiers (target ≤ 30 s,
a constant number of queries per agent).

    .venv/bin/python bench/bench_digest.py                        # SQLite (temp file)
    .venv/bin/python bench/bench_digest.py --backend postgres     # a dedicated PostgreSQL database
    .venv/bin/python bench/bench_digest.py --agents 1000 --dossiers 100000 --per-dossier 1

Seeds (bulk_create, not timed) the agents, the dossiers and ``--per-dossier`` waiting digest
notifications per dossier (each to one agent, round robin: 100 per agent by default), then times
``fonds.notifications.digest.send_digests`` (emails to the in-memory backend) and counts its
queries. A second run the same day must send nothing (idempotent). It prints figures; not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from bench_audit_verify import machine, setup_database  # noqa: E402

DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DB_NAME = "fjj_bench_digest"
BATCH = 5000


def seed(agents: int, dossiers: int, per_dossier: int):
    from django.contrib.auth.models import Group

    from fonds import clock
    from fonds.accounts.models import User
    from fonds.dossiers.models import Dossier
    from fonds.notifications.models import Notification
    from fonds.referentiel.models import Campaign, Commune

    now = clock.now()
    campaign = Campaign.objects.create(
        name="Banc d'essai du résumé quotidien",
        year=now.year,
        opens_at=now - dt.timedelta(days=30),
        closes_at=now + dt.timedelta(days=60),
        activity_start=(now + dt.timedelta(days=10)).date(),
        activity_end=(now + dt.timedelta(days=400)).date(),
        envelope=Decimal("500000.00"),
    )
    communes = [
        Commune(
            code=f"{10000 + i:05d}",
            name=f"Commune {i}",
            departement="10",
            region="84",
            zone="metro",
            population=800,
            siren=f"{200000000 + i:09d}",
        )
        for i in range(100)
    ]
    Commune.objects.bulk_create(communes, batch_size=BATCH)
    porteur = User.objects.create_user("porteur@bench.fjj.fr", None, commune=communes[0])
    group, _ = Group.objects.get_or_create(name="instructeur")
    users = User.objects.bulk_create(
        [
            User(email=f"agent{i}@bench.fjj.fr", username=f"agent{i}@bench.fjj.fr", password="!")
            for i in range(agents)
        ],
        batch_size=BATCH,
    )
    users = list(User.objects.filter(email__endswith="@bench.fjj.fr").exclude(pk=porteur.pk).order_by("pk"))
    User.groups.through.objects.bulk_create(
        [User.groups.through(user_id=u.pk, group_id=group.pk) for u in users], batch_size=BATCH
    )
    rows = [
        Dossier(
            reference=f"FJJ-BENCH-{i:06d}",
            campaign=campaign,
            commune=communes[i % len(communes)],
            created_by=porteur,
            status="submitted",
            title="Échange de jeunes avec la ville jumelle",
            requested_amount=Decimal("5000.00"),
            youth_ages=[14, 15, 16, 17],
            leader_ages=[40],
        )
        for i in range(dossiers)
    ]
    for start in range(0, len(rows), BATCH):
        Dossier.objects.bulk_create(rows[start : start + BATCH])
    pks = list(Dossier.objects.order_by("pk").values_list("pk", "reference"))
    notes, n = [], 0
    for repeat in range(per_dossier):
        for index, (pk, reference) in enumerate(pks):
            agent = users[n % len(users)]
            n += 1
            notes.append(
                Notification(
                    recipient_id=agent.pk,
                    kind="queue_entered",
                    dossier_id=pk,
                    title=f"Dossier {reference} dans votre file",
                    body=f"Dossier {reference} — Commune {index % 100} — « Échange de jeunes »",
                    link=f"/instruction/dossiers/{pk}/",
                    key=f"bench:{pk}:{repeat}",
                    delivery="digest",
                    created_at=now,
                )
            )
            if len(notes) >= BATCH:
                Notification.objects.bulk_create(notes)
                notes = []
    Notification.objects.bulk_create(notes)
    return len(users)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--dossiers", type=int, default=100_000)
    parser.add_argument("--per-dossier", type=int, default=1)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--keep", action="store_true")
    common.add_options(parser, db_name=True, tmp=True)
    args = parser.parse_args()

    description, cleanup = setup_database(args, DB_NAME)
    os.environ["FJJ_EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    import django

    django.setup()
    import logging

    logging.disable(logging.WARNING)
    from django.core import mail
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    try:
        call_command("migrate", verbosity=0)
        from fonds import clock
        from fonds.notifications.digest import send_digests
        from fonds.notifications.models import Notification

        print(f"machine: {machine()}")
        print(f"database: {description}")
        t = time.perf_counter()
        agents = seed(args.agents, args.dossiers, args.per_dossier)
        waiting = Notification.objects.filter(emailed_at__isnull=True).count()
        print(
            f"seeded {agents:,} agents, {args.dossiers:,} dossiers, {waiting:,} waiting digest "
            f"notifications in {time.perf_counter() - t:.1f} s (not timed)"
        )
        mail.outbox = []
        day = clock.today()
        with CaptureQueriesContext(connection) as captured:
            t, cpu = time.perf_counter(), time.process_time()
            result = send_digests(day)
            wall, cpu = time.perf_counter() - t, time.process_time() - cpu
        sent = result["sent"]
        assert sent == agents == len(mail.outbox), (result, len(mail.outbox))
        assert not Notification.objects.filter(emailed_at__isnull=True).exists()
        queries = len(captured)
        print(
            f"digest: {sent:,} emails ({waiting // max(sent, 1)} notifications each) in {wall:.2f} s wall / "
            f"{cpu:.2f} s CPU (target ≤ 30 s) ; {queries:,} queries = {(queries - 1) / sent:.1f} per agent "
            f"+ 1 ; largest email {max(len(m.body) for m in mail.outbox) / 1000:.1f} kB text"
        )
        print(f"load average: {os.getloadavg()[0]:.2f} (1 min)")
        again = send_digests(day)
        print(f"second run the same day: {again['sent']} sent, {again['skipped']} skipped (idempotent)")
    finally:
        if not args.keep:
            cleanup()


if __name__ == "__main__":
    main()
