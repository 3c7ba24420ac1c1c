#!/usr/bin/env python
"""Where a letter's time goes, for ``bench_comite.py --trace`` (issue 19, item 5).

Run as a script, it is ``celery -A fonds worker`` with each task's start and end written by the
pool process that runs it (``task_prerun`` / ``task_postrun``: wall clock and that process's CPU
clock) to ``$FJJ_BENCH_TRACE/<pid>.log``; the handlers are connected before the pool forks.
Imported, it gives the bench an idle sampler of the machine (``/proc/stat`` every 10 ms) and the
report: idle share over the timed window, and per pool process its letters, their wall and CPU
inside the task, and the gaps between two tasks. The sampler costs this script about 0.5 ms of
CPU a letter: take the speed-up from runs without ``--trace``.
"""

from __future__ import annotations

import os
import statistics
import sys
import threading
import time
from pathlib import Path


class IdleSampler:
    """``(time, idle + iowait ticks, all ticks)`` of the whole machine every ``period`` seconds."""

    def __init__(self, period: float = 0.01):
        self.period, self.samples = period, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            with open("/proc/stat") as fh:
                ticks = [int(v) for v in fh.readline().split()[1:9]]
            self.samples.append((time.time(), ticks[3] + ticks[4], sum(ticks)))
            time.sleep(self.period)

    def start(self) -> IdleSampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def idle_share(self, start: float, end: float) -> float:
        window = [s for s in self.samples if start <= s[0] <= end]
        if len(window) < 2:
            return float("nan")
        return (window[-1][1] - window[0][1]) / max(1, window[-1][2] - window[0][2])


def report(trace: Path, sampler: IdleSampler, began: float, wall: float) -> None:
    """Print the idle share of the window and, per pool process, what it did in it."""
    idle = sampler.idle_share(began, began + wall)
    print(f"  trace: machine idle {idle * 100:.1f} % of the window", flush=True)
    for log in sorted(trace.glob("*.log")):
        starts, ends = [], []
        for line in log.read_text().splitlines():
            kind, at, cpu = line.split()
            (starts if kind == "S" else ends).append((float(at), float(cpu)))
        tasks = [(s, e) for s, e in zip(starts, ends, strict=False) if s[0] >= began]  # timed letters only
        if not tasks:
            continue
        inside = sum(e[0] - s[0] for s, e in tasks) / len(tasks) * 1000
        cpu = sum(e[1] - s[1] for s, e in tasks) / len(tasks) * 1000
        gaps = sorted((b[0][0] - a[1][0]) * 1000 for a, b in zip(tasks, tasks[1:], strict=False))
        gap_text = "no gap"
        if gaps:
            p90 = gaps[int(0.9 * len(gaps))]
            gap_text = f"gaps between tasks median {statistics.median(gaps):.1f} ms, p90 {p90:.1f} ms"
        print(
            f"  trace: pool process {log.stem}: {len(tasks)} letters, in a task {inside:.1f} ms wall and "
            f"{cpu:.1f} ms CPU a letter; {gap_text}",
            flush=True,
        )


def _connect(trace: str) -> None:
    from celery import signals

    def write(kind: str) -> None:
        with open(os.path.join(trace, f"{os.getpid()}.log"), "a") as fh:
            fh.write(f"{kind} {time.time():.6f} {time.process_time():.6f}\n")

    signals.task_prerun.connect(lambda **kw: write("S"), weak=False)
    signals.task_postrun.connect(lambda **kw: write("E"), weak=False)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from fonds.celery import app

    _connect(os.environ["FJJ_BENCH_TRACE"])
    app.worker_main(["worker", *sys.argv[1:]])
