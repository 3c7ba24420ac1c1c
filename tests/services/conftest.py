"""Fixtures of the real-broker fault tests (tests/services/harness.py) and their figures, printed
at the end of the run (documents and emails produced / expected after each broker outage)."""

from __future__ import annotations

from tests.comite.conftest import committee  # noqa: F401 — fixture
from tests.payments.conftest import cast  # noqa: F401 — fixture

from .harness import FIGURES, outage, private_broker, private_redis, task_runs  # noqa: F401 — fixtures


def pytest_terminal_summary(terminalreporter):
    if not FIGURES:
        return
    terminalreporter.section("pannes du broker : produits / attendus après son retour")
    for scenario, what, produced, expected, took in FIGURES:
        after = f"{took:5.1f} s après le retour" if took is not None else ""
        mark = "   <- ÉCART" if produced != expected else ""
        terminalreporter.write_line(f"{scenario:<34} {what:<30} {produced:>4} / {expected:<4} {after}{mark}")
