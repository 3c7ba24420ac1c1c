"""Mutation testing of the rule modules with cosmic-ray (``make mutation``, issue 24).

Each rule module is mutated alone and checked against its own test files only (``MODULES``), so
one run fits a shared 2-core machine: one module at a time, one test process at a time. The run
happens in a copy of the working tree under ``var/mutation/<module>/`` (cosmic-ray mutates files
in place), so the tree you edit is never touched. Each mutant's tests start from a copy of one
database migrated once per run (migrating is most of a small module's test time: ~3× faster).
Results go to the generated block of ``docs/testing.md`` for that module: score, survivors
with their diff, run time, date and commit.

    python scripts/mutation.py --list              # modules, smallest first, and their tests
    python scripts/mutation.py quorum              # one module
    python scripts/mutation.py                     # every module, smallest first (audit last)
    python scripts/mutation.py --report quorum     # rewrite the report from the last session
    python scripts/mutation.py --workers 2 audit   # mutants two at a time (one core each)
"""

import argparse
import contextlib
import datetime
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import mutation_select

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "mutation"
REPORT = ROOT / "docs" / "testing.md"
BIN = Path(sys.executable).parent

sys.path.insert(0, str(ROOT / "bench"))
from common import free_port  # noqa: E402 (bench/common.py: what scripts sharing a machine use)

TIMEOUT = 300.0  # one mutant's test run (the unmutated run takes a few seconds to a minute)


@dataclass(frozen=True)
class Module:
    name: str
    sources: tuple[str, ...]
    tests: tuple[str, ...]
    timeout: float = TIMEOUT


#: each rule module with the test files that state its rules (nothing else runs against it);
#: listed smallest first (mutants after the operator filter), fonds/audit last (its chain is being
#: redesigned: measure it last)
MODULES = (
    Module(
        "sepa",
        ("fonds/payments/sepa.py",),
        ("tests/payments/test_batches.py",),
    ),
    Module(
        "access",
        ("fonds/dossiers/access.py",),
        ("tests/dossiers/test_access.py", "tests/comite/test_recused_reading.py"),
    ),
    Module("quorum", ("fonds/comite/quorum.py",), ("tests/comite/test_quorum.py",)),
    Module("envelope", ("fonds/comite/envelope.py",), ("tests/comite/test_envelope.py",)),
    Module(
        "batches",
        ("fonds/payments/batches.py",),
        ("tests/payments/test_batches.py", "tests/payments/test_concurrency.py"),
    ),
    Module("grid", ("fonds/instruction/grid.py",), ("tests/instruction/test_grid.py",)),
    Module(
        "orders-balance",
        ("fonds/payments/orders.py", "fonds/payments/settlement.py"),
        (
            "tests/payments/test_orders.py",
            "tests/payments/test_balance.py",
            "tests/payments/test_late_return_and_balance_reissue.py",
        ),
    ),
    Module(
        "bank-details",
        ("fonds/payments/bank.py", "fonds/payments/rib.py"),
        (
            "tests/payments/test_bank_details.py",
            "tests/payments/test_bank_details_siret.py",
            "tests/payments/test_rib_upload_and_rejection.py",
        ),
    ),
    Module(
        "amount",
        ("fonds/instruction/amount.py",),
        (
            "tests/instruction/test_amount.py",
            "tests/instruction/test_award_bounds.py",
            "tests/instruction/test_grant_for_dossier.py",
        ),
    ),
    Module(
        "votes-proxies",
        ("fonds/comite/proxies.py", "fonds/comite/votes.py"),
        (
            "tests/comite/test_domain_session.py",
            "tests/comite/test_amounts.py",
            "tests/comite/test_recused_reading.py",
        ),
    ),
    Module(
        "state-machine",  # the @transition table is on the model: fonds/dossiers/models.py
        ("fonds/dossiers/states.py", "fonds/dossiers/transitions.py", "fonds/dossiers/models.py"),
        (
            # first: its makemigrations check kills a changed field option in seconds; behind the
            # transition matrix (most of the 95 s) each of those mutants ran every test first
            "tests/dossiers/test_state_diagram.py",
            "tests/dossiers/test_transitions.py",
            "tests/dossiers/test_forum_entry_points.py",
        ),
    ),
    Module("eligibilite", ("fonds/eligibilite",), ("tests/eligibilite",)),
    # its whole test set runs in ~30 s; a mutated sequencer loop never ends: 4× is enough
    Module("audit", ("fonds/audit",), ("tests/audit",), timeout=120.0),
)

#: a selective operator set (Offutt et al.): each binary operator is swapped for its inverse or
#: its sibling only, not for the ten others (a ``+`` turned into ``<<`` dies with any test that
#: runs the line, and costs a full test run); the variable inserter/replacer make mostly
#: type errors. What is left: comparison, boolean, number, unary, ``not``, and/or, loops,
#: break/continue, exceptions, decorators.
EXCLUDED_OPERATORS = (
    r"core/ReplaceBinaryOperator_\w+_(Pow|RShift|LShift|BitOr|BitAnd|BitXor|FloorDiv|Mod)$",
    r"core/ReplaceBinaryOperator_(Pow|RShift|LShift|BitOr|BitAnd|BitXor)_\w+$",
    r"core/ReplaceBinaryOperator_(Add_Mul|Add_Div|Sub_Mul|Sub_Div|Mul_Add|Mul_Sub|Div_Add|Div_Sub)$",
    r"core/VariableInserter",
    r"core/VariableReplacer",
)

#: the three survivors of the independent hand-made run (issue 24): statements cosmic-ray's
#: operators do not produce (a dropped list element, a skipped check, a removed call), applied by
#: hand to a copy of the tree; each must make its named tests fail
NAMED_MUTANTS = tuple(
    (
        f"E3 default list without {kind!r}",
        "fonds/referentiel/rules.py",
        f'"{kind}", ' if kind != "rib" else ', "rib"',
        "",
        "tests/eligibilite/test_e3_documents.py::test_e3_default_list_is_the_four_documents_of_the_reglement "
        "tests/eligibilite/test_e3_documents.py::test_e3_each_default_document_missing_fails",
    )
    for kind in ("deliberation", "twinning_agreement", "partner_commitment", "rib")
) + (
    (
        "IBAN SEPA-zone check skipped",
        "fonds/payments/bank.py",
        "if iban_obj is not None and iban_obj.country_code not in SEPA_COUNTRIES:",
        "if False:",
        "tests/payments/test_bank_details.py::test_iban_outside_the_sepa_zone_refused_even_with_a_bic_of_its_country",
    ),
    (
        "XSD validation removed from batch_xml",
        "fonds/payments/sepa.py",
        "    validate(data)\n    return data",
        "    return data",
        "tests/payments/test_batches.py::test_batch_file_is_checked_against_the_xsd_when_built",
    ),
)

#: with several workers: cosmic-ray's http distributor asks each worker through aiohttp, whose
#: client gives up after 300 s; a mutant's own limit stays under it (else an endless mutant would
#: be recorded as an abnormal run, not as killed by its time-out)
WORKER_TIMEOUT = 240.0


def module_by_name(name: str) -> Module:
    for module in MODULES:
        if module.name == name:
            return module
    raise SystemExit(f"unknown module {name!r}: one of {', '.join(m.name for m in MODULES)}")


def test_command(module: Module) -> str:
    return f"{BIN / 'python'} scripts/mutation.py --pytest {' '.join(module.tests)}"


#: one migrated SQLite database per module run (``tree/../pristine.sqlite3``), copied over the
#: test database before each mutant's tests: migrating takes 10–20 s, the tests of a module a few.
#: The same as a new test database: migrations import nothing of the mutated modules, and with
#: ``--reuse-db`` Django still runs ``migrate`` and its ``post_migrate`` handlers (the mutated
#: ones included: fonds/audit's chain head) before the tests
PRISTINE = "FJJ_MUTATION_PRISTINE"


def _remove_sqlite(path: Path) -> None:
    """A SQLite database file and its WAL companions, where they exist."""
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)


def build_pristine(tree: Path, path: Path) -> None:
    """Migrate a SQLite database at ``path`` with the unmutated tree, as a test run would."""
    _remove_sqlite(path)
    env = {**os.environ, "FJJ_DATABASE_URL": f"sqlite:///{path}", "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("FJJ_TEST_SQLITE_PATH", None)
    subprocess.run([BIN / "python", "manage.py", "migrate", "-v0"], cwd=tree, env=env, check=True)
    with sqlite3.connect(path) as db:  # one self-contained file: no WAL beside it
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.execute("PRAGMA journal_mode=DELETE")


#: which tests execute which statement (``mutation_select``), built once per run beside the
#: pristine database
SELECTION = "tests-by-statement.json"


@contextlib.contextmanager
def pristine_copy(pristine: Path):
    """The environment of a test run on a fresh copy of the pristine database (then removed)."""
    target = pristine.with_name(f"test-{os.getpid()}.sqlite3")
    _remove_sqlite(target)
    shutil.copyfile(pristine, target)
    env = {**os.environ, "FJJ_TEST_SQLITE_PATH": str(target)}
    env.pop("FJJ_DATABASE_URL", None)
    try:
        yield env
    finally:
        _remove_sqlite(target)


def pytest_on_pristine(tests: list[str]) -> int:
    """A mutant's test run on a fresh copy of the pristine database: the tests that execute the
    mutated statements (``mutation_select``; every test without a map), none when no test does."""
    pristine = Path(os.environ[PRISTINE])
    selection = pristine.with_name(SELECTION)
    if selection.exists():
        chosen = mutation_select.covering(Path.cwd(), json.loads(selection.read_text()))
        if chosen == []:
            print("no test executes the mutated statements: survived")
            return 0
        tests = chosen or tests
    with pristine_copy(pristine) as env:
        return subprocess.run([*_pytest(tests), "--reuse-db"], env=env).returncode


def build_selection(module: Module, base: Path) -> None:
    """Which tests execute each statement of ``module``'s sources, from one coverage run."""
    out = base / SELECTION
    out.unlink(missing_ok=True)  # a mutant never runs with the map of another tree
    with pristine_copy(base / "pristine.sqlite3") as env:
        mutation_select.build(base / "tree", module.sources, [*module.tests, "--reuse-db"], out, env)


def config_text(module: Module, worker_urls: list[str] | None = None) -> str:
    """The session's configuration: one local process, or the http workers at ``worker_urls``."""
    paths = ", ".join(f'"{p}"' for p in module.sources)
    excluded = ", ".join(f"'{e}'" for e in EXCLUDED_OPERATORS)
    distributor = 'name = "local"\n\n'
    if worker_urls:
        urls = ", ".join(f"'{url}'" for url in worker_urls)
        distributor = f'name = "http"\n\n[cosmic-ray.distributor.http]\nworker-urls = [{urls}]\n\n'
    return (
        "[cosmic-ray]\n"
        f"module-path = [{paths}]\n"
        f"timeout = {min(module.timeout, WORKER_TIMEOUT) if worker_urls else module.timeout}\n"
        "excluded-modules = []\n"
        f'test-command = "{test_command(module)}"\n\n'
        "[cosmic-ray.distributor]\n"
        f"{distributor}"
        "[cosmic-ray.filters.operators-filter]\n"
        f"exclude-operators = [{excluded}]\n"
    )


@contextlib.contextmanager
def http_workers(base: Path, count: int, env: dict):
    """``count`` cosmic-ray http workers, each in its own copy of the tree (a worker mutates its
    files in place while its tests run); yields their URLs, stops them on exit. One worker: none,
    the local distributor runs the mutants in the session's own tree."""
    if count < 2:
        yield None
        return
    workers, urls = [], []
    try:
        for number in range(1, count + 1):
            tree = base / f"worker-{number}"
            copy_tree(tree)
            port = free_port()
            log = open(base / f"worker-{number}.log", "w")  # noqa: SIM115 (closed with the worker)
            worker = subprocess.Popen(
                [str(BIN / "cosmic-ray"), "http-worker", "--port", str(port)],
                cwd=tree,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            workers.append((worker, log))
            urls.append(f"http://127.0.0.1:{port}")
            _wait_for_port(port, worker)
        yield urls
    finally:
        for worker, log in workers:
            worker.terminate()
            worker.wait(timeout=30)
            log.close()


def _wait_for_port(port: int, worker: subprocess.Popen) -> None:
    for _ in range(300):
        if worker.poll() is not None:
            raise SystemExit(f"the cosmic-ray worker on port {port} exited ({worker.returncode})")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    raise SystemExit(f"the cosmic-ray worker on port {port} did not start in 30 s")


def copy_tree(dest: Path) -> None:
    """The tracked files as they are now in the working tree (edits included), and the venv link."""
    if dest.exists():
        shutil.rmtree(dest)
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True).stdout.split(
        b"\0"
    )
    for raw in files:
        if not raw:
            continue
        rel = raw.decode()
        src = ROOT / rel
        if not src.is_file():
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
    (dest / ".venv").symlink_to(BIN.parent)


def commit() -> str:
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True
    )
    return head.stdout.strip() + (" (+ uncommitted changes)" if dirty.stdout.strip() else "")


def run(module: Module, workers: int = 1) -> dict:
    """Init, filter, baseline and exec a cosmic-ray session for ``module``; returns its summary."""
    base = WORK / module.name
    tree = base / "tree"
    copy_tree(tree)
    config = base / "config.toml"
    config.write_text(config_text(module))
    session = base / "session.sqlite"
    session.unlink(missing_ok=True)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env[PRISTINE] = str(base / "pristine.sqlite3")
    build_pristine(tree, base / "pristine.sqlite3")
    build_selection(module, base)

    def step(*args):
        subprocess.run([str(a) for a in args], cwd=tree, env=env, check=True)

    started = time.monotonic()
    stamp = f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC\n{commit()}\n"
    (base / "run.txt").write_text(f"unfinished\n{stamp}")  # --report works on an interrupted run
    step(BIN / "cosmic-ray", "init", config, session)
    step(BIN / "cr-filter-operators", session, config)
    step(BIN / "cr-filter-pragma", session)
    step(BIN / "cosmic-ray", "baseline", config)
    with http_workers(base, workers, env) as urls:
        config.write_text(config_text(module, urls))
        step(BIN / "cosmic-ray", "exec", config, session)
    elapsed = time.monotonic() - started
    (base / "run.txt").write_text(f"{elapsed:.0f}\n{stamp}")
    return summary(module)


def rerun_survivors(module: Module, workers: int = 1) -> None:
    """Run the last session's survivors again against the tree as it is now (new tests included),
    and the mutants an interrupted run left pending."""

    base = WORK / module.name
    copy_tree(base / "tree")
    with sqlite3.connect(base / "session.sqlite") as db:
        db.execute("DELETE FROM work_results WHERE test_outcome = 'SURVIVED'")
    env = {**os.environ, PRISTINE: str(base / "pristine.sqlite3"), "PYTHONDONTWRITEBYTECODE": "1"}
    build_pristine(base / "tree", base / "pristine.sqlite3")
    build_selection(module, base)
    with http_workers(base, workers, env) as urls:
        (base / "config.toml").write_text(config_text(module, urls))
        subprocess.run(
            [str(BIN / "cosmic-ray"), "exec", str(base / "config.toml"), str(base / "session.sqlite")],
            cwd=base / "tree",
            env=env,
            check=True,
        )


def summary(module: Module) -> dict:
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome

    base = WORK / module.name
    elapsed, when, where = (base / "run.txt").read_text().splitlines()[:3]
    killed = survived = skipped = incompetent = pending = 0
    survivors = []
    with use_db(str(base / "session.sqlite"), WorkDB.Mode.open) as db:
        results = dict(db.results)
        for item in db.work_items:
            result = results.get(item.job_id)
            if result is None:
                pending += 1
            elif result.worker_outcome == WorkerOutcome.SKIPPED:
                skipped += 1
            elif result.worker_outcome in (WorkerOutcome.EXCEPTION, WorkerOutcome.ABNORMAL) and (
                result.test_outcome is None
            ):
                incompetent += 1
            elif result.test_outcome == TestOutcome.SURVIVED:
                survived += 1
                mutation = item.mutations[0]
                survivors.append(
                    (
                        f"{mutation.module_path}:{mutation.start_pos[0]} {mutation.operator_name}",
                        _short_diff(result.diff or ""),
                    )
                )
            else:
                killed += 1  # killed, incompetent (the mutant fails to import) or timed out
    return {
        "module": module,
        "killed": killed,
        "survived": survived,
        "skipped": skipped,
        "incompetent": incompetent,
        "pending": pending,
        "survivors": survivors,
        "elapsed": None if elapsed == "unfinished" else int(elapsed),
        "when": when,
        "commit": where,
        "selected": (base / SELECTION).exists(),
    }


def _short_diff(diff: str) -> str:
    lines = [line for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    return " / ".join(line.strip() for line in lines)[:200]


def render(s: dict) -> str:
    module = s["module"]
    tested = s["killed"] + s["survived"]
    score = f"{100 * s['killed'] / tested:.1f} %" if tested else "n/a"
    lines = [
        f"<!-- mutation:{module.name} (generated by scripts/mutation.py; edit below the block) -->",
        f"### {module.name}",
        "",
        f"- sources: {', '.join(f'`{p}`' for p in module.sources)}",
        f"- tests: {', '.join(f'`{p}`' for p in module.tests)}",
        f"- run: started {s['when']}, commit {s['commit']}, "
        + (f"{s['elapsed'] // 60} min {s['elapsed'] % 60} s" if s["elapsed"] is not None else "unfinished")
        + (f", **{s['pending']} mutants not run** (interrupted)" if s["pending"] else ""),
        f"- mutants: {tested} run, {s['killed']} killed, {s['survived']} survived "
        f"(raw score {score}); {s['skipped']} skipped by the operator filter",
        "- each mutant ran "
        + (
            "the tests that execute its statements (coverage map; none: survived untested)"
            if s.get("selected")
            else "every test of the module"
        ),
        "",
    ]
    if s["survivors"]:
        lines += ["| survivor | mutation |", "| --- | --- |"]
        lines += [f"| `{where}` | `{diff.replace('|', '¦')}` |" for where, diff in s["survivors"]]
        lines.append("")
    lines.append(f"<!-- /mutation:{module.name} -->")
    return "\n".join(lines)


def write_report(s: dict) -> None:
    block = render(s)
    _replace_block(s["module"].name, block)
    print(block)


def _replace_block(name: str, block: str) -> None:
    text = REPORT.read_text()
    pattern = re.compile(rf"<!-- mutation:{re.escape(name)} .*?<!-- /mutation:{re.escape(name)} -->", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    REPORT.write_text(text)


def _pytest(tests) -> list:
    return [BIN / "python", "-m", "pytest", "-x", "-q", "-p", "no:randomly", "-p", "no:cacheprovider", *tests]


def named() -> int:
    """Apply each of ``NAMED_MUTANTS`` to a copy of the tree and run its tests: all must fail."""
    tree = WORK / "named" / "tree"
    copy_tree(tree)
    lines = [
        "<!-- mutation:named (generated by scripts/mutation.py --named) -->",
        "### The three named survivors",
        "",
        f"Run {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, commit {commit()}.",
        "",
        "| hand-made mutant | tests | result |",
        "| --- | --- | --- |",
    ]
    every_test = sorted({t for *_, tests in NAMED_MUTANTS for t in tests.split()})
    control = subprocess.run(_pytest(every_test), cwd=tree, capture_output=True, text=True)
    if control.returncode != 0:  # a mutant is killed only by tests that pass without it
        print(control.stdout[-2000:])
        raise SystemExit("the named tests fail on the unmutated tree")
    lines.insert(-3, f"Control: the {len(every_test)} tests below pass on the unmutated tree.")
    lines.insert(-3, "")
    survivors = 0
    for title, path, old, new, tests in NAMED_MUTANTS:
        target = tree / path
        original = target.read_text()
        assert original.count(old) == 1, f"{path}: {old!r} not found once"
        target.write_text(original.replace(old, new))
        try:
            proc = subprocess.run(_pytest(tests.split()), cwd=tree, capture_output=True, text=True)
        finally:
            target.write_text(original)
        killed = proc.returncode == 1  # tests failed (2+ would be a collection or usage error)
        survivors += not killed
        names = ", ".join(f"`{t.split('::')[-1]}`" for t in tests.split())
        verdict = "killed" if killed else f"**not killed** (rc {proc.returncode})"
        lines.append(f"| {title} (`{path}`) | {names} | {verdict} |")
        print(title, "killed" if killed else f"NOT KILLED rc={proc.returncode}", flush=True)
    lines += ["", "<!-- /mutation:named -->"]
    _replace_block("named", "\n".join(lines))
    return 1 if survivors else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("module", nargs="?", help="one module (default: all, smallest first)")
    parser.add_argument("--list", action="store_true", help="list the modules and their tests")
    parser.add_argument("--named", action="store_true", help="check the three named survivors of issue 24")
    parser.add_argument(
        "--survivors", action="store_true", help="run the last survivors again (after new tests)"
    )
    parser.add_argument("--report", action="store_true", help="rewrite the report from the last session")
    parser.add_argument(
        "--workers", type=int, default=1, help="mutants run at once, one tree copy each (default 1)"
    )
    parser.add_argument("--pytest", nargs="+", metavar="TEST", help=argparse.SUPPRESS)  # a mutant's run
    args = parser.parse_args(argv)
    if args.pytest:
        return pytest_on_pristine(args.pytest)
    if args.list:
        for module in MODULES:
            print(f"{module.name:15} {' '.join(module.sources)}\n{'':15} <- {' '.join(module.tests)}")
        return 0
    if args.named:
        return named()
    modules = [module_by_name(args.module)] if args.module else list(MODULES)
    for module in modules:
        if args.survivors:
            rerun_survivors(module, args.workers)
            continue
        write_report(summary(module) if args.report else run(module, args.workers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
