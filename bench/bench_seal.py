#!/usr/bin/env python
"""Benchmark: the cost of the fund's PAdES seal on a PDF (target: ≤ 20 % over the unsealed PDF).

    .venv/bin/python bench/bench_seal.py                 # 100 receipts, pinned to one CPU
    .venv/bin/python bench/bench_seal.py --docs 300 --cpu 1

It renders receipts exactly as ``fonds.depot.receipts.render_receipt_pdf`` does (the shortest of
the fund's documents: the worst case for a cost added per document), then seals each with
``fonds.documents.seal.seal_pdf`` (the path ``store_once`` takes), with a demonstration seal
(ECDSA P-256) made in a temporary folder. It prints the CPU and wall time per document for the
rendering alone and for the seal alone (mean, p95), the overhead of the seal in per cent of the
rendering, and the size of the files before and after. It prints figures; it is not a test.
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

import common  # noqa: E402
from bench_receipt_pdf import cpu_model, sample_context  # noqa: E402


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--cpu", type=int, default=None, help="pin to this CPU (default: the last one)")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {args.cpu if args.cpu is not None else cpus[-1]})
    tmp = common.temp_dir("fjj-bench-seal")
    os.environ["FJJ_VAR_DIR"] = str(tmp)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fonds.settings")
    import logging
    import warnings

    warnings.simplefilter("ignore")
    import django

    django.setup()
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    from django.conf import settings

    from fonds.depot.receipts import render_receipt_pdf
    from fonds.documents.seal import seal_pdf

    settings.FJJ_SEAL_PEM = str(tmp / "sceau.pem")
    for i in range(args.warmup):
        seal_pdf(render_receipt_pdf(sample_context(i)))
    render_cpu, render_wall, seal_cpu, seal_wall, sizes = [], [], [], [], []
    for i in range(args.docs):
        context = sample_context(1000 + i)
        c0, w0 = time.process_time(), time.perf_counter()
        data = render_receipt_pdf(context)
        c1, w1 = time.process_time(), time.perf_counter()
        sealed = seal_pdf(data)
        c2, w2 = time.process_time(), time.perf_counter()
        render_cpu.append(c1 - c0)
        render_wall.append(w1 - w0)
        seal_cpu.append(c2 - c1)
        seal_wall.append(w2 - w1)
        sizes.append((len(data), len(sealed)))
    ms = 1000
    print(f"machine: {cpu_model()}, {os.cpu_count()} CPU, load average {os.getloadavg()[0]:.2f}")
    print(f"documents: {args.docs} receipts (after {args.warmup} warm-up), one CPU")
    rows = (("render (unsealed)", render_cpu, render_wall), ("seal only", seal_cpu, seal_wall))
    for label, cpu, wall in rows:
        print(
            f"{label:18} CPU mean {statistics.mean(cpu) * ms:6.1f} ms  p95 {p95(cpu) * ms:6.1f} ms   "
            f"wall mean {statistics.mean(wall) * ms:6.1f} ms  p95 {p95(wall) * ms:6.1f} ms"
        )
    over_cpu = statistics.mean(seal_cpu) / statistics.mean(render_cpu) * 100
    over_wall = statistics.mean(seal_wall) / statistics.mean(render_wall) * 100
    print(f"seal overhead: {over_cpu:.1f} % of the rendering CPU, {over_wall:.1f} % of its wall time")
    before = statistics.mean(s[0] for s in sizes)
    after = statistics.mean(s[1] for s in sizes)
    print(f"size: {before / 1024:.1f} KiB unsealed, {after / 1024:.1f} KiB sealed (+{after - before:.0f} B)")
    common.report()


if __name__ == "__main__":
    main()
