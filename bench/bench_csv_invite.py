#!/usr/bin/env python
"""Benchmark: invite N mayors from a CSV file (the accounts administration's import).

    .venv/bin/python bench/bench_csv_invite.py --lines 500,2000              # SQLite (temp file)
    .venv/bin/python bench/bench_csv_invite.py --lines 2000 --backend postgres
    .venv/bin/python bench/bench_csv_invite.py --lines 31700 --check-only      # step 1, a whole country

Times ``import_jobs.create`` (step 1, in the request: the file checked and kept with its report)
and ``import_jobs.run`` (step 2, the Celery task: accounts, audit events, invitation outbox
messages, in chunks of ``import_jobs.CHUNK`` lines, each one transaction) on a fresh database
with N communes. Step 2 includes each chunk's commit, hence the outbox publication of the
invitation emails (the embedded SQLite broker unless ``FJJ_BROKER_URL`` says otherwise). Up to
``csv_import.MAX_LINES`` lines (every commune of France). It prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from bench_audit_verify import DEFAULT_PG_URL, machine, setup_database  # noqa: E402


def run(sizes: list[int], invite: bool = True) -> None:
    import django  # noqa: PLC0415 — after the database settings are chosen

    django.setup()
    from django.core.management import call_command  # noqa: PLC0415 — Django set up first

    from fonds.accounts.models import User  # noqa: PLC0415
    from fonds.depot.account_admin import csv_import, import_jobs  # noqa: PLC0415
    from fonds.depot.models import InvitationImport  # noqa: PLC0415
    from fonds.referentiel.models import Commune  # noqa: PLC0415
    from tests.factories import make_campaign, make_user  # noqa: PLC0415

    call_command("migrate", verbosity=0)
    make_campaign()
    admin = make_user("admin", email="bench-admin@fjj.fr")
    offset = 0
    for n in sizes:
        codes = [f"{10000 + offset + i:05d}" for i in range(n)]
        Commune.objects.bulk_create(
            [Commune(code=c, name=f"Commune {c}", departement=c[:2], population=500) for c in codes]
        )
        text = "\n".join(f"{c};maire.{c}@bench.fjj.fr;Anne Martin" for c in codes)
        started = time.perf_counter()
        job = import_jobs.create(csv_import.MAYORS, text, by=admin)
        checked = time.perf_counter() - started
        if not invite:
            print(f"{n:>6} lines: check {checked:6.2f} s   ({job.total} accepted)")
            offset += n
            continue
        InvitationImport.objects.filter(pk=job.pk).update(status=InvitationImport.State.QUEUED)
        started = time.perf_counter()
        job = import_jobs.run(job.pk)  # what the task does (the confirmation queues it)
        elapsed = time.perf_counter() - started
        assert job.total == n and job.invited == n and job.status == "finished"
        rate = n / elapsed
        print(
            f"{n:>6} lines: check {checked:6.2f} s   invite (task) {elapsed:7.2f} s  ({rate:,.0f} accounts/s)"
        )
        offset += n
    print(f"accounts now: {User.objects.count()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--lines", default="500,2000")
    parser.add_argument("--check-only", action="store_true", help="time step 1 only (a whole country)")
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    common.add_options(parser, db_name=True, tmp=True)
    args = parser.parse_args()
    where, cleanup = setup_database(args, db_name="fjj_bench_csv_invite")
    print(f"{machine()} — {where}")
    try:
        run([int(n) for n in args.lines.split(",")], invite=not args.check_only)
    finally:
        cleanup()


if __name__ == "__main__":
    main()
