"""The order of a mutant's tests (scripts/mutation_select.py): the tests that see it first."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import mutation_select
import pytest

CALC = """\
RATE = 2


def add(a, b):
    return a + b


def scaled(a,
           b):
    return (a
            * RATE - b)


class Unused:
    def never(self):
        return 0
"""

TESTS = """\
from pkg.calc import add, scaled


def test_add():
    assert add(1, 2) == 3


def test_scaled():
    assert scaled(3, 1) == 5
"""


def small_project(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "calc.py").write_text(CALC)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_calc.py").write_text(TESTS)
    (tmp_path / "scripts").mkdir()
    shutil.copy(Path(mutation_select.__file__), tmp_path / "scripts")
    (tmp_path / "pytest.ini").write_text("[pytest]\npythonpath = .\n")
    return tmp_path


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One coverage run of the small project's tests (a few seconds)."""
    tree = small_project(tmp_path_factory.mktemp("tree"))
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    found = mutation_select.build(tree, ["pkg"], ["tests", "-p", "no:django"], tree / "map.json", env)
    return tree, found


@pytest.fixture
def mapped(built):
    """The small project and its map; its source as it was after each test."""
    tree, _found = built
    yield built
    (tree / "pkg" / "calc.py").write_text(CALC)


def mutate(tree: Path, old: str, new: str) -> None:
    path = tree / "pkg" / "calc.py"
    path.write_text(path.read_text().replace(old, new))


def test_a_mutant_runs_the_tests_that_execute_its_statement_only(mapped):
    tree, found = mapped
    mutate(tree, "* RATE - b", "* RATE + b")  # second line of a two-line statement
    assert mutation_select.covering(tree, found) == ["tests/test_calc.py::test_scaled"]


def test_a_statement_run_outside_every_test_runs_every_test(mapped):
    tree, found = mapped
    mutate(tree, "RATE = 2", "RATE = 3")  # module level: run at collection
    assert mutation_select.covering(tree, found) is None


def test_a_statement_no_test_executes_runs_no_test(mapped):
    tree, found = mapped
    mutate(tree, "return 0", "return 1")
    assert mutation_select.covering(tree, found) == []


def test_the_unmutated_tree_runs_every_test(mapped):
    tree, found = mapped
    assert mutation_select.covering(tree, found) is None


def test_a_change_in_a_continuation_line_is_the_statement_that_starts_above():
    assert mutation_select.changed_statements(CALC, CALC.replace("           b):", "           c):")) == {8}
