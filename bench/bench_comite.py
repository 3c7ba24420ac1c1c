#!/usr/bin/env python
"""Benchmark of the comité (issue 5): a 500-dossier session, then 500 decision letters by real
Celery workers (1 and 2 worker processes).

    .venv/bin/python bench/bench_comite.py       # a new PostgreSQL database, an empty Redis database
    .venv/bin/python bench/bench_comite.py --dossiers 500 --members 7 --workers 1,2

It creates its own PostgreSQL database (``--db-name``, default a unique ``bench_fjj_hd1_<pid>_<hex>``
on ``--pg`` postgres://postgres@127.0.0.1:5432; dropped at exit unless ``--keep``) and migrates it,
seeds ``--dossiers`` instructed dossiers
(one commune and one mayor each, a score, a proposed amount) and ``--members`` committee members,
then drives a session through the comité's services exactly as the chair's pages do: agenda
(``schedule`` × N), convocation, sitting, attendance, and per dossier: open the vote, every
member votes, close the vote (the tally), decide (approve / waitlist through the envelope lock,
or reject). It prints wall and CPU time for:

* **tally** — ``close_all_votes``: the chair closes the open votes at once (votes read in one
  query, tallies stored, one audit event per item, one transaction); for comparison, the first
  min(20, N/10) items closed one by one with ``close_vote`` (one transaction each), and the N
  tallies computed from one query by the pure ``quorum.tally``;
* **close** — ``close_session``: the minutes PDF of N dossiers (WeasyPrint), its SHA-256, the
  audit event (the decision-letter tasks are queued on commit, not run here);

target: tally + close ≤ 2 s. Then, for each ``--workers`` value, it starts
``celery -A fonds worker -c W`` (prefork) on ``--broker`` (by default an empty Redis database
not used by the settings, claimed for the run and flushed at exit: nobody else's queue; or
``--redis-db N``), waits until it answers a ping, queues the N ``generate_decision_letter`` tasks and waits
until the N letters exist: docs/s (wall, from the first task queued to the last letter's time
stamp, once the worker's processes are idle after their start),
the workers' CPU seconds, and the speed-up of W workers over 1 (``--rounds R``: each count R
times in mirrored order, 1,2,2,1…, the speed-up from the summed walls). Between runs the letters and their
email notices are deleted (the task is idempotent: it would otherwise find them); emails go to
Django's dummy backend. It prints figures; it is not a test.

``--audit-sequencing`` (default ``deferred``, what the production profile on PostgreSQL runs): the
whole run appends audit events pending and one ``manage.py audit_sequencer`` process chains them,
as in production; ``inline`` chains each event under the head lock inside its transaction (the
default of the embedded profile: the two workers then queue on that lock). At the end the chain is
verified with nothing left pending.

``--trace``: the same runs, with the machine's idle share over each timed window and, per pool
process, its time inside and between tasks (``bench/letters_trace.py``): where the second
worker's speed goes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import platform
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import common  # noqa: E402


def machine() -> str:
    cpu = "?"
    try:
        cpu = next(
            line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    return f"nproc={os.cpu_count()} · CPU {cpu} · Python {platform.python_version()}"


def load() -> str:
    return "load average " + " / ".join(f"{x:.2f}" for x in os.getloadavg())


class Timer:
    def __init__(self, label: str):
        self.label = label

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu
        print(f"  {self.label:<48} wall {self.wall:8.3f} s   CPU {self.cpu:8.3f} s   ({load()})", flush=True)


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent busy (every core; ``/proc/stat``: user, system and
    interrupts): what the workers used plus what PostgreSQL, Redis, the sequencer, this script and
    the kernel used for them."""
    with open("/proc/stat") as fh:
        user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in fh.readline().split()[1:8])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")  # steal, guest left out


def processes() -> list[tuple[int, int, str, float]]:
    """Every process on the machine as ``(pid, parent pid, name, CPU seconds)`` (utime + stime,
    ``/proc/*/stat``). The sequencer is named after its command (its process is ``python``); a
    kernel worker's name, which changes with its work item, is ``kworker (kernel)``."""
    tick = os.sysconf("SC_CLK_TCK")
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                head, tail = fh.read().rsplit(")", 1)
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                argv = fh.read().split(b"\0")
        except OSError:
            continue
        fields = tail.split()
        name = head.split("(", 1)[1]
        if b"audit_sequencer" in argv:
            name = "audit_sequencer"
        elif any(arg.endswith(b"letters_trace.py") for arg in argv):
            name = "celery"  # the worker under --trace
        elif name.startswith("kworker"):
            name = "kworker (kernel)"
        found.append((int(entry), int(fields[1]), name, (int(fields[11]) + int(fields[12])) / tick))
    return found


def cpu_by_command() -> dict[str, float]:
    """CPU seconds of every process on the machine, summed by name: which of PostgreSQL, Redis,
    the sequencer or this script the rest of the machine is."""
    found: dict[str, float] = {}
    for _pid, _parent, name, cpu in processes():
        found[name] = found.get(name, 0.0) + cpu
    return found


def tree_cpu_seconds(pid: int) -> float:
    """utime + stime of a process and all its descendants (from /proc)."""
    parents, stats = {}, {}
    for process, parent, _name, cpu in processes():
        parents[process], stats[process] = parent, cpu
    family, frontier = {pid}, [pid]
    while frontier:
        current = frontier.pop()
        for child, parent in parents.items():
            if parent == current and child not in family:
                family.add(child)
                frontier.append(child)
    return sum(stats.get(p, 0.0) for p in family)


def seed(n: int, members: int):
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from fonds.accounts.models import User
    from fonds.comite.testing import instructed_in_bulk
    from fonds.dossiers.models import BudgetLine
    from fonds.referentiel.models import Campaign

    now = timezone.now()
    campaign = Campaign.objects.create(
        name="Banc d'essai comité",
        year=now.year,
        opens_at=now - dt.timedelta(days=60),
        closes_at=now - dt.timedelta(days=1),
        activity_start=(now + dt.timedelta(days=30)).date(),
        activity_end=(now + dt.timedelta(days=400)).date(),
        envelope=Decimal(n * 5000) * Decimal("0.8"),  # 80 % of the proposals fit: the rest is waitlisted
    )
    groups = {name: Group.objects.get_or_create(name=name)[0] for name in ("admin", "comite")}
    admin = User.objects.create_user("admin@bench.fjj.fr", None, first_name="Alice", last_name="Admin")
    admin.groups.add(groups["admin"])
    committee = []
    for i in range(members):
        user = User.objects.create_user(
            f"membre{i}@bench.fjj.fr", None, first_name=f"Membre{i}", last_name=f"Comité{i}"
        )
        user.groups.add(groups["comite"])
        committee.append(user)
    dossiers = instructed_in_bulk(
        campaign,
        n,
        first_code=10000,
        departement="10",
        region="44",
        email_domain="bench.fjj.fr",
        reference_prefix="FJJ-B",
        # a project whose award may reach the 5,000 € proposed (award bounds: 1,000 € to 5,670 €)
        requested_amount=Decimal("6000.00"),
        youth_ages=[15] * 8,
        leader_ages=[40, 40],
        distance_km=850,
        low_carbon=True,
        nights=8,
        nights_hosted=4,
    )
    BudgetLine.objects.bulk_create(
        [
            BudgetLine(dossier=d, kind="expense", category="travel", amount=Decimal("10000.00"))
            for d in dossiers
        ]
    )
    return campaign, admin, committee


def args_sample(n: int) -> int:
    return min(20, n // 10)


def bench_session(n: int, members: int):
    from django.db.models import Count
    from django.utils import timezone

    from fonds import clock
    from fonds.comite import composition, decisions, quorum, sessions
    from fonds.comite import convocation as comite_convocation
    from fonds.comite import sitting as comite_sitting
    from fonds.comite import votes as comite_votes
    from fonds.comite.models import Vote

    print(f"\n== Session of {n} dossiers, {members} members ==", flush=True)
    with Timer(f"seed ({n} instructed dossiers)"):
        campaign, admin, committee = seed(n, members)
    chair = committee[0]
    composition.appoint(
        campaign, by=admin, members=committee
    )  # the session convenes the campaign's composition
    session = sessions.create_session(
        campaign,
        by=admin,
        starts_at=timezone.now() + dt.timedelta(days=6),
        chair=chair,
        place="Salle du conseil",
    )
    with Timer(f"build_agenda ({n} × perform schedule)"):
        comite_convocation.build_agenda(session, by=admin)
    comite_convocation.send_convocation(session, by=admin)
    clock.travel_to(session.starts_at)  # a session opens at its scheduled start
    comite_sitting.open_sitting(session, by=chair)
    comite_sitting.record_attendance(session, by=chair, presence={m: "present" for m in committee})
    items = list(session.items.order_by("rank"))
    with Timer(f"open_vote × {n}"):
        for item in items:
            comite_votes.open_vote(item, by=chair)
    with Timer(f"cast_vote × {n * members}"):
        for i, item in enumerate(items):
            for j, member in enumerate(committee):
                # mostly pour; one dossier in ten rejected (contre majority); some ties broken by the chair
                choice = (
                    "contre" if i % 10 == 9 and j % 3 != 0 else ("abstention" if j == members - 1 else "pour")
                )
                comite_votes.cast_vote(item, by=member, choice=choice)
    sample = items[: args_sample(n)]
    with Timer(f"(close_vote one by one × {len(sample)}: per-item path)"):
        singles = {item.pk: comite_votes.close_vote(item, by=chair) for item in sample}
    with Timer(f"TALLY: close_all_votes ({n - len(sample)} open items)") as tally_timer:
        batch = comite_votes.close_all_votes(session, by=chair)
    by_pk = {**singles, **batch}
    results = [by_pk[item.pk] for item in items]
    with Timer(f"(tally of {n} items from one query, pure function)"):
        rows = {}
        for item_id, elector, choice in Vote.objects.filter(item__session=session).values_list(
            "item_id", "elector_id", "choice"
        ):
            rows.setdefault(item_id, []).append((elector, choice))
        pure = [
            quorum.tally([c for _, c in rows[i.pk]], next((c for e, c in rows[i.pk] if e == chair.pk), None))
            for i in items
        ]
    assert [r.adopted for r in results] == [p.adopted for p in pure]
    with Timer(f"decide × {n} (approve under the envelope lock / waitlist / reject)"):
        for item, result in zip(items, results):
            if result.adopted:
                decisions.decide(item, by=chair, outcome="approve")
            else:
                decisions.decide(
                    item,
                    by=chair,
                    outcome="reject",
                    motivation="Projet insuffisamment construit avec le partenaire.",
                )
    outcomes = dict(session.items.values("outcome").annotate(c=Count("pk")).values_list("outcome", "c"))
    print(f"  outcomes: {outcomes}", flush=True)
    from weasyprint import HTML

    from fonds.documents.render import fonts

    HTML(string="<p>warm-up</p>").write_pdf(font_config=fonts())  # a warm server process
    with Timer("CLOSE: close_session (minutes PDF + audit)") as close_timer:
        session = decisions.close_session(session, by=chair)
    print(
        f"  minutes: {session.minutes.size / 1024:.0f} KiB, sha256 {session.minutes_sha256[:16]}…", flush=True
    )
    total = tally_timer.wall + close_timer.wall
    print(
        f"  => tally + close: wall {total:.3f} s, CPU {tally_timer.cpu + close_timer.cpu:.3f} s (target ≤ 2 "
        f"s: {'met' if total <= 2 else 'MISSED'})",
        flush=True,
    )
    return session, items


def bench_letters(
    items, workers: int, env: dict, timeout: float, logs: Path, trace: bool = False
) -> tuple[float, float]:
    from django.db.models import Max

    from fonds.celery import app
    from fonds.comite.tasks import generate_decision_letter
    from fonds.depot.models import EmailNotice
    from fonds.documents.models import GeneratedDocument

    keys = [f"decision-letter-{item.pk}" for item in items]
    GeneratedDocument.objects.filter(kind="decision_letter", key__in=keys).delete()
    EmailNotice.objects.filter(key__startswith="decision-letter-").delete()
    app.control.purge()
    log_path = logs / f"worker_{workers}.log"
    log = open(log_path, "w")
    if trace:  # the same worker, its pool processes time-stamping each task (bench/letters_trace.py)
        import letters_trace

        trace_dir = common.temp_dir(f"fjj-bench-trace{workers}")
        env = {**env, "FJJ_BENCH_TRACE": str(trace_dir)}
        command = [sys.executable, str(ROOT / "bench" / "letters_trace.py")]
    else:
        command = [str(ROOT / ".venv/bin/celery"), "-A", "fonds", "worker"]
    proc = subprocess.Popen(
        [
            *command,
            "-c",
            str(workers),
            "--pool",
            "prefork",
            "-l",
            "WARNING",
            "-n",
            f"bench-hd1-{workers}@%h",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=str(ROOT),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.time() + 120
        while not app.control.ping(destination=[f"bench-hd1-{workers}@{platform.node()}"], timeout=1.0):
            if time.time() > deadline or proc.poll() is not None:
                raise SystemExit(f"worker did not start (see {log_path}, kept with --keep)")
        started = wait_idle(proc.pid)
        cpu_before, busy_before = tree_cpu_seconds(proc.pid), machine_busy_seconds()
        by_command_before = cpu_by_command()
        sampler = letters_trace.IdleSampler().start() if trace else None
        began = time.time()
        for item in items:
            generate_decision_letter.delay(item.pk)
        done = 0
        while done < len(items):
            time.sleep(0.25)
            done = GeneratedDocument.objects.filter(kind="decision_letter", key__in=keys).count()
            if time.time() - began > timeout:
                raise SystemExit(f"timeout: {done}/{len(items)} letters")
        polled = time.time() - began
        # the last letter's own time stamp, not the poll's: up to 0.25 s less noise on either side
        letters = GeneratedDocument.objects.filter(kind="decision_letter", key__in=keys)
        wall = letters.aggregate(last=Max("created_at"))["last"].timestamp() - began
        cpu = tree_cpu_seconds(proc.pid) - cpu_before
        busy = machine_busy_seconds() - busy_before
        by_command = cpu_by_command()
        if sampler is not None:
            sampler.stop()
            letters_trace.report(trace_dir, sampler, began, wall)
    finally:
        stop(proc)
        log.close()
    rate = len(items) / wall
    print(
        f"  {workers} worker process(es) started: {started:.2f} s of CPU before the timer "
        f"(pool processes warming up); the poll saw the last letter {polled - wall:.2f} s after it was made",
        flush=True,
    )
    others = sorted(
        ((name, spent - by_command_before.get(name, 0.0)) for name, spent in by_command.items()),
        key=lambda kv: -kv[1],
    )
    print(
        f"  {workers} worker process(es): {len(items)} letters in {wall:.2f} s wall → {rate:.1f} docs/s; "
        f"workers' CPU {cpu:.1f} s ({cpu / len(items) * 1000:.0f} ms/doc); the rest of the machine "
        f"(PostgreSQL, Redis, sequencer, this script) {(busy - cpu) / len(items) * 1000:.0f} ms/doc "
        f"  ({load()})",
        flush=True,
    )
    print(
        "    by process (ms/doc): "
        + ", ".join(f"{name} {spent / len(items) * 1000:.1f}" for name, spent in others[:6] if spent > 0),
        flush=True,
    )
    return rate, wall


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dossiers", type=int, default=500)
    parser.add_argument("--members", type=int, default=7)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="runs of each --workers value, in mirrored order (1,2 then 2,1…): the machine's speed "
        "drifts between runs (on a shared VM the same letters took 66 to 91 ms of CPU), a mirror "
        "cancels a steady drift",
    )
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument(
        "--broker",
        default=None,
        help="Celery broker and results (default: an empty database of --redis-server, see --redis-db)",
    )
    parser.add_argument("--redis-server", default="redis://127.0.0.1:6379")
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument(
        "--audit-sequencing",
        choices=("deferred", "inline"),
        default="deferred",
        help="FJJ_AUDIT_SEQUENCING of the run (deferred: with an audit_sequencer process, as in production)",
    )
    parser.add_argument(
        "--trace",
        action="store_true",
        help="where a letter's time goes: machine idle share, and per pool process its time inside "
        "and between tasks (bench/letters_trace.py; its sampler costs CPU: speed-ups from runs without)",
    )
    common.add_options(parser, db_name=True, redis_db=True, tmp=True)
    parser.add_argument("--db", dest="db_name", help=argparse.SUPPRESS)  # its former name
    args = parser.parse_args()

    name = args.db_name or common.unique_name("bench_fjj_hd1")
    url = common.postgres_database(args.pg + "/postgres", name, keep=args.keep)
    var = common.temp_dir("fjj-bench-comite", args.tmp, keep=args.keep)
    if args.broker is None:
        args.broker = common.free_redis_db(args.redis_server, args.redis_db, keep=args.keep)
    common.report()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "fonds.settings",
        "FJJ_DATABASE_URL": url,
        "FJJ_BROKER_URL": args.broker,
        "FJJ_RESULT_BACKEND": args.broker,
        "FJJ_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "FJJ_VAR_DIR": str(var),
        "FJJ_LOG_LEVEL": "WARNING",
        "FJJ_AUDIT_SEQUENCING": args.audit_sequencing,
    }
    os.environ.update(env)
    print(f"Machine: {machine()}\nDatabase: {url} (new) · broker {args.broker} · {load()}", flush=True)
    print(f"Audit sequencing: {args.audit_sequencing}", flush=True)

    import django

    django.setup()
    logging.disable(logging.WARNING)
    from django.core.management import call_command

    with Timer("migrate"):
        call_command("migrate", verbosity=0)
    sequencer = start_sequencer(env, var) if args.audit_sequencing == "deferred" else None
    try:
        session, items = bench_session(args.dossiers, args.members)

        print(f"\n== {len(items)} decision letters by Celery workers ==", flush=True)
        walls: dict[int, list[float]] = {}
        for workers in rounds([int(w) for w in args.workers.split(",") if w], args.rounds):
            walls.setdefault(workers, []).append(
                bench_letters(items, workers, env, args.timeout, var, trace=args.trace)[1]
            )
        if 1 in walls:
            for workers, times in walls.items():
                if workers != 1:
                    print(
                        f"  speed-up {workers} vs 1 worker: {sum(walls[1]) / sum(times):.2f}× "
                        f"(total wall of its {len(times)} run(s) against 1 worker's; target ≥ 1.9×)",
                        flush=True,
                    )
    finally:
        if sequencer is not None:
            stop(sequencer)
    verify_chain()


def rounds(counts: list[int], n: int) -> list[int]:
    """``counts`` ``n`` times, every other time reversed: 1,2 → 1,2,2,1,1,2…"""
    return [c for i in range(n) for c in (counts if i % 2 == 0 else counts[::-1])]


def wait_idle(pid: int, quiet: float = 0.5, limit: float = 60) -> float:
    """Wait until the worker's processes stop using CPU: the ping is answered by the parent, and
    its pool processes may still be in their ``worker_process_init``. The timer then measures
    letters, not start-up. Returns the CPU seconds spent after the ping."""

    first = before = tree_cpu_seconds(pid)
    deadline = time.time() + limit
    while time.time() < deadline:
        time.sleep(quiet)
        now = tree_cpu_seconds(pid)
        if now - before < 0.02 * quiet:
            break
        before = now
    return before - first


def start_sequencer(env: dict, logs: Path) -> subprocess.Popen:
    """The production profile's ``audit_sequencer`` process, for the whole run (deferred mode)."""

    log = open(logs / "audit_sequencer.log", "w")
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "audit_sequencer"],
        cwd=str(ROOT),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM to the process group (a worker's children, the sequencer's batch), SIGKILL after 30 s."""
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def verify_chain() -> None:
    """Chain what is still pending, then verify the whole trail: the run lost or broke nothing."""

    from fonds.audit import chain, sequencer

    sequencer.sequence_all()
    outcome = chain.verify()
    print(f"\nAudit trail: {chain.describe(outcome)}", flush=True)


if __name__ == "__main__":
    main()
