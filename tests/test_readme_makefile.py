"""The README says what the Makefile does: every documented ``make`` target exists (and every
target of ``make help`` is documented), the test command and its default options are the
Makefile's, and the commands ``make run`` starts are the supervisor's (scripts/run_dev.py)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")


def _makefile_targets() -> set[str]:
    return set(re.findall(r"^([a-z][a-z-]*):", MAKEFILE, re.MULTILINE))


def _help_targets() -> set[str]:
    """The targets ``make help`` lists (a ``## description`` on their line)."""
    return set(re.findall(r"^([a-z][a-z-]*):.*## ", MAKEFILE, re.MULTILINE))


def _variable(name: str) -> str:
    match = re.search(rf"^{name} \?= ?(.*)$", MAKEFILE, re.MULTILINE)
    assert match, f"{name} n'a pas de valeur par défaut dans le Makefile"
    return match.group(1).strip()


def _run_dev():
    spec = importlib.util.spec_from_file_location("run_dev_for_readme", ROOT / "scripts" / "run_dev.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_make_target_the_readme_names_exists():
    named = set(re.findall(r"\bmake ([a-z][a-z-]*)", README))
    assert named and named <= _makefile_targets(), named - _makefile_targets()


def test_every_target_of_make_help_is_in_the_readme_table():
    table = set(re.findall(r"^\| `make ([a-z][a-z-]*)` \|", README, re.MULTILINE))
    assert table == _help_targets()


def test_readme_gives_the_makefile_test_command_and_default_options():
    assert re.search(
        r"^test: .*\n\t\$\(BIN\)/pytest \$\(TEST_PATHS\) \$\(PYTEST_ARGS\)$", MAKEFILE, re.MULTILINE
    )
    command = f"pytest {_variable('TEST_PATHS')} {_variable('PYTEST_ARGS')}"
    (row,) = [line for line in README.splitlines() if line.startswith("| `make test` |")]
    assert f"`{command}`" in row
    assert f"par défaut `{_variable('PYTEST_ARGS')}`" in row and "`make test PYTEST_ARGS=`" in row


def test_readme_shows_the_commands_make_run_starts():
    run_dev = _run_dev()
    for name, argv in run_dev.default_children("127.0.0.1:8000", "solo"):
        shown = " ".join(argv[2:] if argv[1] == "-m" else argv[1:])  # without « python (-m) »
        assert f"`{shown}`" in README, (name, shown)


def test_make_run_keeps_celery_quiet_but_its_warnings():
    for _, argv in _run_dev().default_children("127.0.0.1:8000", "solo")[1:]:
        assert "-q" in argv and argv[argv.index("-l") + 1] == "warning"
