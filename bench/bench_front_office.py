#!/usr/bin/env python
"""Benchmark of the porteur's front office on a large data set (issue 3).

    FJJ_VAR_DIR=/tmp/fjj-bench-var .venv/bin/python manage.py migrate
    FJJ_VAR_DIR=/tmp/fjj-bench-var .venv/bin/python manage.py import_communes
    FJJ_VAR_DIR=/tmp/fjj-bench-var .venv/bin/python manage.py seed_bench --dossiers 100000
    FJJ_VAR_DIR=/tmp/fjj-bench-var .venv/bin/python bench/bench_front_office.py --runs 50

Creates (once) a porteur for a commune of the data set with a complete draft of the latest
campaign, then measures "Mes dossiers", each of the six form steps and the check page with the
Django test Client: server time p50/p95 over ``--runs`` requests after a warm-up, and the query
count. It prints figures; it is not a test (targets: p95 ≤ 50 ms, query count constant).
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

from bench_instruction import machine, timed_get  # noqa: E402


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
    print(f"{'page':<28} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    pages = [("Mes dossiers", reverse("depot:my-dossiers"))]
    pages += [(f"étape {s.slug}", reverse("depot:step", args=[draft.pk, s.slug])) for s in STEPS]
    pages.append(("vérification (E1–E9, montant)", reverse("depot:check", args=[draft.pk])))
    for label, url in pages:
        p50, p95, queries = timed_get(client, url, args.runs)
        print(f"{label:<28} {p50:8.1f} {p95:8.1f} {queries:8d}")


if __name__ == "__main__":
    main()
