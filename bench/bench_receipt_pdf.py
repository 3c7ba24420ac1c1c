#!/usr/bin/env python
"""Benchmark: receipt (récépissé) PDF generation on one core (target: ≤ 250 ms per document).

    .venv/bin/python bench/bench_receipt_pdf.py   # 200 documents, with and without HarfBuzz subsetting
    .venv/bin/python bench/bench_receipt_pdf.py --docs 500 --cpu 1
    .venv/bin/python bench/bench_receipt_pdf.py --modes with         # only the installed configuration
    .venv/bin/python bench/bench_receipt_pdf.py --modes with,fresh-fonts,without

It times ``fonds.depot.receipts.render_receipt_pdf`` — the Django template ``pdf/receipt.html``
rendered and laid out by WeasyPrint into PDF bytes, exactly what the Celery task does for each
submitted dossier (the task adds one SHA-256, one file write and two small transactions, which
are negligible beside it). Each mode runs in its own process pinned to one CPU
(``sched_setaffinity``), after a few warm-up documents (the first one loads the fonts), and prints
the CPU time per document (mean, p95) and documents per CPU-second — what one dedicated core
gives, the figure the target is about —, the elapsed (wall) time per document and documents per
second — which also count the time other processes took the core on a shared machine —, and the
time split between the template, the layout and the PDF writing.

Modes:

* ``with`` — WeasyPrint as installed: it subsets the embedded fonts with HarfBuzz
  (``libharfbuzz-subset0``) when the library is present;
* ``fresh-fonts`` — as ``with``, but with a new WeasyPrint ``FontConfiguration`` per document
  (WeasyPrint's default) instead of the one per process the receipt code keeps;
* ``without`` — the same as ``with``, with WeasyPrint's ``harfbuzz_subset`` handle set to None
  before the first document, which is exactly the code path WeasyPrint takes when the library is absent (font
  subsetting by fontTools). The system package is *not* removed: Debian's ``chromium`` depends on
  it, and the machine is shared.

It prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import common  # noqa: E402


def dpkg_status(package: str) -> str:
    try:
        out = subprocess.run(["dpkg", "-s", package], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "dpkg indisponible"
    if out.returncode != 0:
        return "not installed"
    version = next(
        (line.split(":", 1)[1].strip() for line in out.stdout.splitlines() if line.startswith("Version:")),
        "?",
    )
    return f"installed ({version})"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def sample_context(i: int) -> dict:
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    now = timezone.localtime()
    return {
        "fund_name": "Fonds de soutien aux jumelages des petites communes — mobilité des jeunes",
        "reference": f"FJJ-2026-{i:06d}",
        "title": (
            "Rencontres sportives et culturelles : les jeunes de Saint-Rémy-de-Provence "
            "et de Wolfach découvrent leurs patrimoines"
        ),
        "commune_name": "Saint-Rémy-de-Chargnat",
        "commune_code": "63391",
        "campaign_name": "Appel à projets « Jumelages jeunesse » 2026",
        "submitted_at": now - dt.timedelta(minutes=3),
        "requested_amount": Decimal("6450.50"),
        "sha256": f"{i:064x}"[-64:],
        "scheme": "fjj-contenu-depose/1",
        "audit_seq": 100000 + i,
        "generated_at": now,
    }


def run_mode(mode: str, docs: int, warmup: int, cpu: int | None) -> dict:
    """Measure in this process (called in a child process per mode)."""
    if cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fonds.settings")
    if "FJJ_VAR_DIR" not in os.environ:  # removed when this child exits
        os.environ["FJJ_VAR_DIR"] = str(common.temp_dir("fjj-bench-receipt"))
    import logging
    import warnings

    warnings.simplefilter("ignore")
    import django

    django.setup()
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    import weasyprint
    from django.conf import settings
    from django.template.loader import render_to_string
    from weasyprint.pdf import fonts as wp_fonts
    from weasyprint.text import ffi as wp_ffi

    from fonds.depot.receipts import render_receipt_pdf
    from fonds.documents import render as pdf_module

    if mode == "without":
        wp_fonts.harfbuzz_subset = None
    if mode == "fresh-fonts":  # WeasyPrint's default: a new font configuration per document
        from weasyprint.text.fonts import FontConfiguration

        pdf_module.fonts = FontConfiguration  # what write_pdf calls for each document
    subsetter = (
        "HarfBuzz (libharfbuzz-subset)"
        if (wp_fonts.harfbuzz_subset and wp_ffi.harfbuzz.hb_version_atleast(4, 1, 0))
        else "fontTools"
    )

    for i in range(warmup):
        render_receipt_pdf(sample_context(i))
    times, cpu_times, sizes = [], [], []
    cpu_start = time.process_time()
    wall_start = time.perf_counter()
    for i in range(docs):
        t0, c0 = time.perf_counter(), time.process_time()
        pdf = render_receipt_pdf(sample_context(i))
        times.append(time.perf_counter() - t0)
        cpu_times.append(time.process_time() - c0)
        sizes.append(len(pdf))
    wall = time.perf_counter() - wall_start
    cpu_time = time.process_time() - cpu_start

    # the split of one document's time, on a smaller sample
    split = {"template": [], "layout": [], "write_pdf": []}
    for i in range(min(docs, 30)):
        t0 = time.perf_counter()
        html = render_to_string("pdf/receipt.html", sample_context(i))
        t1 = time.perf_counter()
        document = weasyprint.HTML(string=html, base_url=str(settings.BASE_DIR)).render(
            font_config=pdf_module.fonts()
        )
        t2 = time.perf_counter()
        document.write_pdf()
        t3 = time.perf_counter()
        split["template"].append(t1 - t0)
        split["layout"].append(t2 - t1)
        split["write_pdf"].append(t3 - t2)

    ms = sorted(t * 1000 for t in times)
    cpu_ms = sorted(t * 1000 for t in cpu_times)
    return {
        "cpu_mean_ms": statistics.fmean(cpu_ms),
        "cpu_p95_ms": cpu_ms[min(len(cpu_ms) - 1, int(len(cpu_ms) * 0.95))],
        "docs_per_cpu_s": docs / cpu_time,
        "mode": mode,
        "subsetter": subsetter,
        "docs": docs,
        "wall_s": wall,
        "cpu_s": cpu_time,
        "docs_per_s": docs / wall,
        "mean_ms": statistics.fmean(ms),
        "p50_ms": ms[len(ms) // 2],
        "p95_ms": ms[min(len(ms) - 1, int(len(ms) * 0.95))],
        "max_ms": ms[-1],
        "pdf_bytes": int(statistics.fmean(sizes)),
        "split_ms": {k: statistics.fmean(v) * 1000 for k, v in split.items()},
        "weasyprint": weasyprint.__version__,
        "harfbuzz": harfbuzz_version(),
        "load": os.getloadavg()[0],
    }


def harfbuzz_version() -> str:
    """The HarfBuzz version WeasyPrint loaded (the newest x.y.0 for which hb_version_atleast holds)."""
    from weasyprint.text.ffi import harfbuzz

    major = next((m for m in range(20, 0, -1) if harfbuzz.hb_version_atleast(m, 0, 0)), 0)
    minor = next((n for n in range(40, -1, -1) if harfbuzz.hb_version_atleast(major, n, 0)), 0)
    return f"{major}.{minor}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=200, help="documents timed per mode (default 200)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed documents first (default 5)")
    parser.add_argument(
        "--cpu", type=int, default=0, help="CPU the measuring process is pinned to (default 0)"
    )
    parser.add_argument(
        "--modes",
        default="with,without",
        help="comma-separated among with, without, fresh-fonts (default with,without)",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    common.add_options(parser, tmp=True, keep=False)
    args = parser.parse_args()
    if args.tmp:  # the children's FJJ_VAR_DIR (default: one temp folder each, removed)
        os.environ["FJJ_VAR_DIR"] = str(common.temp_dir("fjj-bench-receipt", args.tmp))

    if args.child:
        print(json.dumps(run_mode(args.child, args.docs, args.warmup, args.cpu)))
        return

    import fontTools
    import pydyf

    print("Receipt PDF benchmark (fonds.depot.receipts.render_receipt_pdf, templates/pdf/receipt.html)")
    print(
        f"machine: {cpu_model()} · {os.cpu_count()} CPU · Python {platform.python_version()} · pinned to CPU "
        f"{args.cpu}"
    )
    print(
        f"libharfbuzz-subset0: {dpkg_status('libharfbuzz-subset0')} · pydyf {pydyf.__version__} · fontTools "
        f"{fontTools.version}"
    )
    results = []
    for mode in [m.strip() for m in args.modes.split(",") if m.strip()]:
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                mode,
                "--docs",
                str(args.docs),
                "--warmup",
                str(args.warmup),
                "--cpu",
                str(args.cpu),
            ],
            capture_output=True,
            text=True,
            cwd=str(ROOT),
        )
        if out.returncode != 0:
            print(out.stderr, file=sys.stderr)
            raise SystemExit(f"mode {mode} failed")
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    if results:
        r0 = results[0]
        print(f"WeasyPrint {r0['weasyprint']} · HarfBuzz {r0['harfbuzz']}")
    print()
    print("CPU = time on the CPU of the measuring process (what one dedicated core gives); wall = elapsed,")
    print("inflated when other processes share the core (see the load average).")
    print()
    print(
        f"{'mode':11} {'font subsetting':30} {'docs':>5} {'CPU ms/doc':>10} {'CPU p95':>8} "
        f"{'docs/CPU-s':>10} {'wall ms':>8} {'wall p95':>8} {'docs/s':>7} {'PDF':>8} {'load':>5}"
    )
    for r in results:
        print(
            f"{r['mode']:11} {r['subsetter']:30} {r['docs']:>5} {r['cpu_mean_ms']:>10.1f} "
            f"{r['cpu_p95_ms']:>8.1f} {r['docs_per_cpu_s']:>10.2f} "
            f"{r['mean_ms']:>8.1f} {r['p95_ms']:>8.1f} {r['docs_per_s']:>7.2f} "
            f"{r['pdf_bytes'] / 1024:>6.1f}Ki {r['load']:>5.2f}"
        )
    print()
    for r in results:
        s = r["split_ms"]
        verdict = "met" if r["cpu_p95_ms"] <= 250 else "MISSED"
        print(
            f"{r['mode']:11} wall split per document: template {s['template']:.1f} ms · layout "
            f"{s['layout']:.1f} ms · write_pdf {s['write_pdf']:.1f} ms — target ≤ 250 ms per document on one "
            f"core (CPU p95): {verdict}"
        )


if __name__ == "__main__":
    main()
