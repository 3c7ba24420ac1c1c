#!/usr/bin/env python
"""Benchmark: the campaign archive of issue 21 (target: a 2,000-dossier campaign with 4 attachments
each, peak RSS ≤ 200 MB). Prints figures; it is not a test.

    .venv/bin/python bench/bench_archive.py --dossiers 2000
    .venv/bin/python bench/bench_archive.py --dossiers 200          # on a loaded machine

A dedicated SQLite database in a temporary folder (``common.temp_dir``, removed at exit; ``--keep``
leaves it) is migrated and seeded with one campaign of ``--dossiers`` closed dossiers (the audit
events of their path, as ``tests/reporting/helpers.dossier_in`` writes them), each with 4
attachments: 2-page PDFs made by WeasyPrint (about 20 KiB each), a file per attachment on disk.

Two runs of ``fonds.proof.archive.build`` (the task's body), each measured in this process:

* **cold**: every dossier's complete PDF (auditor's version) is made and sealed (``store_once``),
  then copied into the ZIP — the first archive of a campaign;
* **warm**: a second archive of the same campaign: the PDFs are stored, only the ZIP is written
  (decision exports, whole trail, anchors, verifier, manifest).

For each: wall and CPU time, per dossier, and the peak RSS above the RSS at the start of the run
(``/proc/self/clear_refs`` then ``VmHWM``), plus the archive's size. The load average is printed:
the machine is shared.
"""

from __future__ import annotations

import argparse
import os
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


def run(label: str, campaign, user) -> None:
    from fonds.proof import archive
    from fonds.proof.models import CampaignArchive

    job = CampaignArchive.objects.create(campaign=campaign, created_by=user)
    with common.Measure() as m:
        job = archive.build(job.pk)
    assert job.status == CampaignArchive.State.FINISHED, job.error
    per = m.wall / max(job.total, 1) * 1000
    print(
        f"{label:5} {job.total} dossiers: wall {m.wall:8.1f} s ({per:6.1f} ms/dossier), CPU {m.cpu:8.1f} s, "
        f"peak RSS +{m.extra / 2**20:6.1f} MB above {m.rss0 / 2**20:.0f} MB (VmHWM {m.peak / 2**20:.0f} MB), "
        f"archive {job.size / 2**20:.1f} MiB, {job.entries} files"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=2000)
    common.add_options(parser)
    args = parser.parse_args()

    tmp = common.temp_dir("fjj-bench-archive", keep=args.keep)
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
    from django.core.management import call_command

    settings.FJJ_SEAL_PEM = str(tmp / "sceau.pem")
    settings.FJJ_SEAL_DEMO_CERTIFICATE = True  # a demonstration seal, made on the first PDF
    settings.MEDIA_ROOT = str(tmp / "media")
    call_command("migrate", verbosity=0)
    from tests.factories import make_user

    print(f"machine: {os.cpu_count()} CPU, load average {os.getloadavg()[0]:.2f} at start")
    t0 = time.perf_counter()
    campaign, attachment_bytes = seed(args.dossiers)
    print(
        f"seeded {args.dossiers} dossiers × 4 attachments ({attachment_bytes / 4 / 1024:.0f} KiB each) "
        f"in {time.perf_counter() - t0:.0f} s"
    )
    user = make_user("auditeur")
    run("cold", campaign, user)
    run("warm", campaign, user)
    print(f"load average {os.getloadavg()[0]:.2f} at end")
    common.report()


if __name__ == "__main__":
    main()
