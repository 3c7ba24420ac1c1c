#!/usr/bin/env python
"""Benchmark: the campaign archive of issue 21 (target: a 2,000-dossier campaign with 4 attachments
each, peak RSS ≤ 200 MB). Prints figures; it is not a test.

    .venv/bin/python bench/bench_archive.py --dossiers 2000
    .venv/bin/python bench/bench_archive.py --dossiers 200          # on a loaded machine

A dedicated SQLite database in a temporary folder (``common.temp_dir``, removed at exit; ``--keep``
leaves it) is migrated and seeded with one campaign of ``--dossiers`` closed dossiers (the audit
events of their path, as ``tests/reporting/helpers.dossier_in`` writes them), each with 4
attachments: 2-page PDFs made by WeasyPrint (about 20 KiB each), a file per attachment on disk.

Two runs of ``fonds.proof.archive.build`` (the task's body), each in a new process started
after the seeding, as a Celery worker runs the task (the seeding's own memory is not counted):

* **cold**: every dossier's complete PDF (auditor's version) is made and sealed (``store_once``),
  then copied into the ZIP — the first archive of a campaign;
* **warm**: a second archive of the same campaign: the PDFs are stored, only the ZIP is written
  (decision exports, whole trail, anchors, verifier, manifest).

For each: wall and CPU time, per dossier, the peak RSS of the whole process (``VmHWM``: Django,
WeasyPrint and the build; the figure the target is about) and its RSS once Django is set up,
plus the archive's size. The load average is printed: the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import common  # noqa: E402


def seed(count: int):
    from django.core.files.base import ContentFile

    from fonds.documents.pdf import write_pdf
    from tests.factories import make_campaign
    from tests.reporting.helpers import dossier_in

    campaign = make_campaign()
    pages = [
        write_pdf(
            "<html><body>"
            + "".join(
                f'<h1>Pièce {n}</h1><p style="page-break-after: always">{"Texte de la pièce. " * 200}</p>'
                for _ in range(2)
            )
            + "</body></html>"
        )
        for n in range(4)
    ]
    t0 = time.perf_counter()
    for i in range(count):
        dossier = dossier_in("closed", campaign=campaign)
        for n, document in enumerate(dossier.documents.order_by("pk")):
            document.file.save(f"piece-{i}-{n}.pdf", ContentFile(pages[n]), save=False)
            document.size = len(pages[n])
            document.save(update_fields=["file", "size"])
        if (i + 1) % 100 == 0:
            print(f"  seeded {i + 1} dossiers ({time.perf_counter() - t0:.0f} s)", flush=True)
    return campaign, sum(len(p) for p in pages)


def run(label: str, campaign_pk: int, user_pk: int) -> None:
    """One build in this (new) process; the peak RSS is the process's since it started."""
    from fonds.proof import archive
    from fonds.proof.models import CampaignArchive

    rss0 = common.proc_status("VmRSS")
    job = CampaignArchive.objects.create(campaign_id=campaign_pk, created_by_id=user_pk)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    job = archive.build(job.pk)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    peak = common.proc_status("VmHWM")
    assert job.status == CampaignArchive.State.FINISHED, job.error
    per = wall / max(job.total, 1) * 1000
    print(
        f"{label:5} {job.total} dossiers: wall {wall:8.1f} s ({per:6.1f} ms/dossier), CPU {cpu:8.1f} s, "
        f"peak RSS of the process {peak / 2**20:.0f} MB ({rss0 / 2**20:.0f} MB once Django is set up), "
        f"archive {job.size / 2**20:.1f} MiB, {job.entries} files",
        flush=True,
    )


def setup(tmp: Path) -> None:
    os.environ["FJJ_VAR_DIR"] = str(tmp)
    os.environ.pop("FJJ_DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fonds.settings")
    os.environ["FJJ_DEBUG"] = "0"
    import logging
    import warnings

    warnings.simplefilter("ignore")
    import django

    django.setup()
    for name in ("weasyprint", "fontTools", "pypdf"):
        logging.getLogger(name).setLevel(logging.ERROR)
    from django.conf import settings

    settings.FJJ_SEAL_PEM = str(tmp / "sceau.pem")
    settings.FJJ_SEAL_DEMO_CERTIFICATE = True  # a demonstration seal, made on the first PDF
    settings.MEDIA_ROOT = str(tmp / "media")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=2000)
    parser.add_argument(
        "--build", nargs=4, metavar=("LABEL", "CAMPAIGN", "USER", "DIR"), help=argparse.SUPPRESS
    )
    common.add_options(parser)
    args = parser.parse_args()
    if args.build:  # the child: one build in a new process
        label, campaign_pk, user_pk, folder = args.build
        setup(Path(folder))
        run(label, int(campaign_pk), int(user_pk))
        return

    tmp = common.temp_dir("fjj-bench-archive", keep=args.keep)
    setup(tmp)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from tests.factories import make_user

    print(f"machine: {os.cpu_count()} CPU, load average {os.getloadavg()[0]:.2f} at start")
    t0 = time.perf_counter()
    campaign, attachment_bytes = seed(args.dossiers)
    print(
        f"seeded {args.dossiers} dossiers × 4 attachments ({attachment_bytes / 4 / 1024:.0f} KiB each) "
        f"in {time.perf_counter() - t0:.0f} s",
        flush=True,
    )
    user = make_user("auditeur")
    from django.db import connections

    connections.close_all()
    for label in ("cold", "warm"):
        subprocess.run(
            [sys.executable, __file__, "--build", label, str(campaign.pk), str(user.pk), str(tmp)], check=True
        )
    print(f"load average {os.getloadavg()[0]:.2f} at end")
    common.report()


if __name__ == "__main__":
    main()
