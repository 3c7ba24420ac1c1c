#!/usr/bin/env python
"""What-if on a 20,000-dossier campaign (issue 17: ≤ 10 s, with a progress bar).

    FJJ_VAR_DIR=/tmp/fjj-bench-whatif .venv/bin/python manage.py migrate
    FJJ_VAR_DIR=/tmp/fjj-bench-whatif .venv/bin/python manage.py seed_bench --campaigns 1 --scale 0.64
    FJJ_VAR_DIR=/tmp/fjj-bench-whatif .venv/bin/python bench/bench_whatif.py --enrich

PostgreSQL: the same three commands with ``FJJ_DATABASE_URL=postgres://…/<own database>``
(the bench uses the project's default database).

Takes the campaign with the most submitted dossiers of the data set. ``--enrich`` (once, before
the first run: it writes to the data set) gives each of its dossiers what ``seed_bench`` leaves
out — a jumelage, 6 budget lines, project dates, the 4 documents, youth and leaders, nights and
a distance — so that every rule and the formula do their whole work.
The draft: the defaults with the population
threshold lowered to 2,000 (E1 flips), E4's minimum raised to 8 youth, the organisation
allowance + 100 €. Runs ``fonds.administration.whatif.run_job`` (the Celery task's function,
in-process: job row, progress written per chunk) and prints wall and CPU time, dossiers/s, the
progress updates (one per chunk), the flips per rule and the envelope figures. Prints figures; not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fonds.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count, Q  # noqa: E402

from fonds.accounts.models import User  # noqa: E402
from fonds.administration import parameters, whatif  # noqa: E402
from fonds.administration.models import WhatIfJob  # noqa: E402
from fonds.dossiers.models import BudgetLine, Document, Dossier  # noqa: E402
from fonds.referentiel.models import Campaign, Jumelage, PartnerTown  # noqa: E402

BATCH = 2000
LINES = [
    ("expense", "travel", "14000"),
    ("expense", "accommodation", "2000"),
    ("expense", "activities", "1500"),
    ("expense", "food", "500"),
    ("income", "own_share", "2500"),
    ("income", "participants", "2000"),
]


def enrich(campaign) -> None:
    """Give the campaign's dossiers what the rules and the formula read (bench setup)."""
    started = time.perf_counter()
    dossiers = list(Dossier.objects.filter(campaign=campaign).only("pk", "commune_id", "created_by_id"))
    first_day = campaign.activity_start + dt.timedelta(days=90)  # ≥ 30 days after every seeded submission
    Dossier.objects.filter(campaign=campaign).update(
        start_date=first_day, end_date=first_day + dt.timedelta(days=8)
    )
    if BudgetLine.objects.filter(dossier__campaign=campaign).exists():  # enriched already: dates only
        print("enrichissement : déjà fait (dates du projet mises à jour)")
        return
    with transaction.atomic():
        partner = PartnerTown.objects.create(
            name="Partnerstadt", country="DE", latitude="48.137154", longitude="11.576124"
        )
        existing = dict(Jumelage.objects.values_list("commune_id", "pk"))
        new = [
            Jumelage(commune_id=c, partner=partner, letter_of_intent=True)
            for c in {d.commune_id for d in dossiers}
            if c not in existing
        ]
        Jumelage.objects.bulk_create(new, batch_size=BATCH)
        jumelages = dict(Jumelage.objects.values_list("commune_id", "pk"))
        for offset in range(0, len(dossiers), BATCH):
            part = dossiers[offset : offset + BATCH]
            Dossier.objects.filter(pk__in=[d.pk for d in part]).update(
                youth_ages=[14, 15, 15, 16, 17, 17, 18, 19],
                leader_ages=[35, 42],
                low_carbon=True,
                distance_km=850,
                nights=8,
                nights_hosted=4,
                activity_days=7,
            )
            for d in part:
                d.jumelage_id = jumelages[d.commune_id]
            Dossier.objects.bulk_update(part, ["jumelage"])
            BudgetLine.objects.bulk_create(
                [BudgetLine(dossier_id=d.pk, kind=k, category=c, amount=a) for d in part for k, c, a in LINES]
            )
            Document.objects.bulk_create(
                [
                    Document(
                        dossier_id=d.pk,
                        kind=kind,
                        file=f"bench/{kind}.pdf",
                        original_name=f"{kind}.pdf",
                        content_type="application/pdf",
                        size=1000,
                        sha256="0" * 64,
                        uploaded_by_id=d.created_by_id,
                    )
                    for d in part
                    for kind in ("deliberation", "twinning_agreement", "partner_commitment", "rib")
                ]
            )
    print(f"enrichissement : {len(dossiers)} dossiers en {time.perf_counter() - started:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enrich", action="store_true", help="compléter les dossiers (une fois)")
    parser.add_argument("--chunk", type=int, default=whatif.CHUNK)
    args = parser.parse_args()
    settings.DEBUG = False
    campaign = (
        Campaign.objects.annotate(n=Count("dossiers", filter=Q(dossiers__submitted_at__isnull=False)))
        .order_by("-n")
        .first()
    )
    if campaign is None:
        sys.exit("Aucune campagne : lancez d'abord seed_bench.")
    if args.enrich:
        enrich(campaign)
    whatif.CHUNK = args.chunk
    draft = parameters.apply(
        campaign.rules.params,
        {"eligibility__max_population": 2000, "eligibility__min_youth": 8, "amount__organisation": 600},
    )
    admin = User.objects.order_by("pk").first()
    job = WhatIfJob.objects.create(
        campaign=campaign,
        base_version=campaign.rules.version,
        params=draft,
        created_by=admin,
        total=len(whatif.dossiers_of(campaign)),
    )
    started, cpu = time.perf_counter(), time.process_time()
    job = whatif.run_job(job.pk)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    result = job.result
    print(
        f"machine : {platform.machine()} · {os.cpu_count()} cœurs · {connection.vendor} · "
        f"charge {'/'.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    chunks = -(-result["total"] // args.chunk)
    print(
        f"campagne « {campaign.name} » : {result['total']} dossiers déposés rejoués, "
        f"{chunks} lots de {args.chunk} (une mise à jour de la progression par lot)"
    )
    print(f"durée : {wall:.2f} s mur, {cpu:.2f} s CPU · {result['total'] / wall:.0f} dossiers/s")
    flips = {code: f for code, f in result["flips"].items() if f["to_pass"] or f["to_fail"]}
    print(f"verdicts qui changent : {flips}")
    print(f"éligibles : {result['eligible']} · consommé : {result['consumed']} ({result['consumed_pct']} %)")
    print(f"dossiers dont le résultat change : {result['changed_count']} · état du job : {job.status}")


if __name__ == "__main__":
    main()
