#!/usr/bin/env python
"""Benchmark of the payment batches (issue 6): a batch of 5,000 orders built and exported, the SEPA
file (pain.001.001.03) validated against the official XSD — target ≤ 10 s.

    .venv/bin/python bench/bench_payments.py                      # SQLite (temp file), 5,000 orders
    .venv/bin/python bench/bench_payments.py --backend postgres   # database fjj_bench_payments (temporary)
    options: --orders 5000 --communes 500 --runs 3

The script migrates a dedicated database, seeds ``--orders`` ready advance orders (one dossier
each, spread over ``--communes`` communes whose bank details are certified; bulk-inserted, not
timed), then for each run times, through the real services:

* **build** — ``batches.build_batch(by=finance, order_ids=[all])``: locking select (skip locked on
  PostgreSQL), FSM check per order, one guarded UPDATE per 900 orders, BatchItems bulk-inserted,
  the SEPA file generated (sepaxml) and validated (xmlschema, official XSD), SHA-256 + audit event;
* **export** — ``batches.export_batch(batch)``: the file regenerated from the batch, validated
  again, compared with the recorded SHA-256, audited (what the download and ``export_batch`` do);

and checks that two exports give the same bytes. Between runs the batch is cancelled (orders back
to ready). Wall and CPU (``time.process_time()``) seconds and the load average are printed; it is
not a test.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from bench_audit_verify import DEFAULT_PG_URL, machine, setup_database  # noqa: E402

DB_NAME = "fjj_bench_payments"


def seed(orders: int, communes: int):
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from fonds.accounts.models import User
    from fonds.dossiers.models import Document, Dossier
    from fonds.payments.models import BankDetails, OrderKind, OrderState, PaymentOrder
    from fonds.referentiel.models import Campaign, Commune

    now = timezone.now()
    finance = User.objects.create_user(email="finance@bench.fjj.fr", password="x")
    finance.groups.add(Group.objects.get_or_create(name="finance")[0])
    porteur = User.objects.create_user(email="porteur@bench.fjj.fr", password="x")
    campaign = Campaign.objects.create(
        name="Bench paiements",
        year=now.year,
        opens_at=now,
        closes_at=now,
        activity_start=now.date(),
        activity_end=now.date(),
        envelope=Decimal("100000000"),
    )
    codes = [f"{10000 + i:05d}" for i in range(communes)]
    Commune.objects.bulk_create(
        [Commune(code=c, name=f"Commune {c}", departement=c[:2], region="84", population=800) for c in codes],
        batch_size=1000,
    )
    dossiers = [
        Dossier(
            reference=f"FJJ-{now.year}-{i + 1:06d}",
            campaign=campaign,
            commune_id=codes[i % communes],
            title="Échange de jeunes",
            created_by=porteur,
            approved_amount=Decimal("5670.00"),
        )
        for i in range(orders)
    ]
    Dossier.objects.bulk_create(dossiers, batch_size=1000)
    ids = dict(Dossier.objects.values_list("reference", "pk"))
    first_of = {}
    for d in dossiers:
        first_of.setdefault(d.commune_id, ids[d.reference])
    Document.objects.bulk_create(
        [
            Document(
                dossier_id=pk,
                kind="rib",
                file="rib.pdf",
                original_name="rib.pdf",
                content_type="application/pdf",
                size=1,
                sha256="0" * 64,
                uploaded_by=porteur,
            )
            for pk in first_of.values()
        ],
        batch_size=1000,
    )
    ribs = dict(Document.objects.values_list("dossier__commune_id", "pk"))
    banks = []
    for code in codes:
        bank = BankDetails(
            commune_id=code,
            iban="FR7630006000011234567890189",
            bic="AGRIFRPP",
            holder=f"Commune {code} (Trésor public)",
            rib_document_id=ribs[code],
            certified_at=now,
            certified_by=finance,
        )
        bank.certified_fingerprint = bank.fingerprint()
        banks.append(bank)
    BankDetails.objects.bulk_create(banks, batch_size=1000)
    amounts = [Decimal("4252.50"), Decimal("1417.50"), Decimal("3000.00"), Decimal("812.37")]
    PaymentOrder.objects.bulk_create(
        [
            PaymentOrder(
                reference=f"{d.reference}-AV1",
                dossier_id=ids[d.reference],
                kind=OrderKind.ADVANCE,
                amount=amounts[i % 4],
                state=OrderState.READY,
            )
            for i, d in enumerate(dossiers)
        ],
        batch_size=1000,
    )
    return finance


def timed(func):
    load = os.getloadavg()
    wall, cpu = time.perf_counter(), time.process_time()
    result = func()
    return result, time.perf_counter() - wall, time.process_time() - cpu, load


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--communes", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--keep", action="store_true")
    common.add_options(parser, db_name=True, tmp=True)
    args = parser.parse_args()

    description, cleanup = setup_database(args, DB_NAME)
    import django

    django.setup()
    import logging

    logging.disable(logging.WARNING)
    from django.core.management import call_command

    try:
        call_command("migrate", verbosity=0)
        from fonds.payments.batches import build_batch, cancel_batch, export_batch
        from fonds.payments.models import PaymentOrder

        print(f"machine: {machine()}")
        print(f"database: {description}")
        t = time.perf_counter()
        finance = seed(args.orders, args.communes)
        print(
            f"seeded {PaymentOrder.objects.count():,} ready orders over {args.communes} communes in "
            f"{time.perf_counter() - t:.1f} s (not timed)"
        )
        ids = list(PaymentOrder.objects.values_list("pk", flat=True))
        totals = []
        for run in range(1, args.runs + 1):
            result, b_wall, b_cpu, b_load = timed(lambda: build_batch(by=finance, order_ids=ids))
            batch = result.batch
            data, e_wall, e_cpu, e_load = timed(lambda batch=batch: export_batch(batch, by=finance))
            again = export_batch(batch, by=finance)
            assert again == data and hashlib.sha256(data).hexdigest() == batch.file_sha256
            assert batch.count == args.orders and not result.excluded
            totals.append(b_wall + e_wall)
            print(
                f"run {run}: build {batch.count:,} orders {b_wall:.2f} s wall / {b_cpu:.2f} s CPU (load "
                f"{b_load[0]:.2f}) ; "
                f"export {len(data) / 1e6:.2f} MB {e_wall:.2f} s wall / {e_cpu:.2f} s CPU (load "
                f"{e_load[0]:.2f}) ; "
                f"total {b_wall + e_wall:.2f} s ; same bytes twice: yes ; XSD valid: yes"
            )
            cancel_batch(batch, by=finance)
        print(
            f"best total build + export: {min(totals):.2f} s (target ≤ 10 s) ; load average now "
            f"{os.getloadavg()}"
        )
    finally:
        if not args.keep:
            cleanup()


if __name__ == "__main__":
    main()
