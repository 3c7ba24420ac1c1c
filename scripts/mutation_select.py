"""Coverage-guided order of a mutant's tests (``scripts/mutation.py``, issue 24).

Once per run, ``build`` runs the module's tests under coverage with one context per test (its
setup, call and teardown) and writes, for each statement of the mutated sources, the tests that
execute it. For each mutant, ``covering`` finds the statements cosmic-ray changed (each source
against its text kept in the map) and returns the tests that execute them: only those run, as PIT
does. A test that never executes a changed statement cannot see the change (each test starts from
the same database and rolls back); a mutant no test executes survives without a run (PIT's « no
coverage »). Statements run outside any test (module level at collection, class bodies, decorators,
defaults, session set-up) belong to every test: their mutants run the whole set.

Also the pytest plugin of that coverage run (``-p mutation_select``): it names the context.
"""

from __future__ import annotations

import difflib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from coverage import Coverage, CoverageData
from coverage.parser import PythonParser

#: the context of what runs outside every test (imports at collection, session set-up)
OUTSIDE = ""


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Everything a test runs, its fixtures included, is recorded under its node id."""
    cov = Coverage.current()
    if cov is not None:
        cov.switch_context(item.nodeid)
    yield
    if cov is not None:
        cov.switch_context(OUTSIDE)


def source_files(tree: Path, sources) -> list[str]:
    """The Python files of ``sources`` (files or packages), relative to ``tree``."""
    files = []
    for source in sources:
        path = tree / source
        found = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        files += [str(p.relative_to(tree)) for p in found if "migrations" not in p.parts]
    return files


def build(tree: Path, sources, tests, out: Path, env: dict) -> dict:
    """Run ``tests`` once under coverage in ``tree``; write and return the map at ``out``."""
    files = source_files(tree, sources)
    data_file = out.with_suffix(".coverage")
    data_file.unlink(missing_ok=True)
    rc = out.with_suffix(".coveragerc")
    included = "".join(f"    {tree / f}\n" for f in files)
    rc.write_text(f"[run]\ndata_file = {data_file}\ninclude =\n{included}")
    env = {**env, "PYTHONPATH": os.pathsep.join(filter(None, [str(tree / "scripts"), env.get("PYTHONPATH")]))}
    command = [sys.executable, "-m", "coverage", "run", f"--rcfile={rc}", "-m", "pytest", "-q"]
    command += ["-p", "no:randomly", "-p", "mutation_select", *tests]
    subprocess.run(command, cwd=tree, env=env, check=True, stdout=subprocess.DEVNULL)
    data = CoverageData(basename=str(data_file))
    data.read()
    found = {}
    for rel in files:
        text = (tree / rel).read_text()
        by_statement: dict[int, set[str]] = {}
        parser = _parser(text)
        for line, contexts in data.contexts_by_lineno(str(tree / rel)).items():
            by_statement.setdefault(parser.first_line(line), set()).update(contexts)
        found[rel] = {"text": text, "tests": {str(k): sorted(v) for k, v in sorted(by_statement.items())}}
    out.write_text(json.dumps(found))
    return found


def _parser(text: str) -> PythonParser:
    parser = PythonParser(text=text or "\n")  # an empty file (a package's __init__.py)
    parser.parse_source()
    return parser


def changed_statements(original: str, current: str) -> set[int]:
    """The first lines of the statements of ``original`` that ``current`` changes."""
    before, after = original.splitlines(), current.splitlines()
    lines = set()
    for tag, i1, i2, _j1, _j2 in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
        if tag != "equal":
            lines.update(range(i1 + 1, max(i2, i1 + 1) + 1))
    parser = _parser(original)
    return {parser.first_line(line) for line in lines}


def covering(tree: Path, found: dict) -> list[str] | None:
    """The node ids of the tests that execute a statement changed in ``tree``: ``None`` when every
    test must run (a changed statement runs outside the tests, or nothing the map knows changed),
    ``[]`` when no test executes any changed statement."""
    seeing: set[str] = set()
    changed = False
    for rel, entry in found.items():
        current = (tree / rel).read_text()
        if current == entry["text"]:
            continue
        changed = True
        for line in changed_statements(entry["text"], current):
            contexts = entry["tests"].get(str(line), [])
            if OUTSIDE in contexts:
                return None
            seeing.update(contexts)
    return sorted(seeing) if changed else None
