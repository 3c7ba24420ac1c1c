"""One injectable clock: the fund's code reads ``fonds.clock``, never the system clock directly."""

import datetime as dt
import re
from pathlib import Path

from django.utils import timezone

ROOT = Path(__file__).resolve().parents[2]
DIRECT = re.compile(
    r"timezone\.now\(\)|timezone\.localdate\(\)|timezone\.localtime\(\)|date\.today\(\)|default=timezone\.now\b"
)


def test_no_direct_reads_of_the_system_clock():
    offenders = []
    for folder in ("fonds", "workflows"):
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" in path.parts or path.name == "clock.py":
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if DIRECT.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "use fonds.clock.now()/today():\n" + "\n".join(offenders)


def test_travel_moves_now_and_today(clock):
    clock.travel_to(dt.date(2027, 3, 1))
    assert clock.today() == dt.date(2027, 3, 1)
    before = clock.now()
    clock.advance(days=16)
    assert clock.today() == dt.date(2027, 3, 17)
    assert clock.now() - before >= dt.timedelta(days=16)


def test_frozen_clock_stands_still(clock):
    moment = timezone.make_aware(dt.datetime(2027, 5, 4, 9, 30))
    clock.travel_to(moment, freeze=True)
    assert clock.now() == moment == clock.now()


def test_travel_block_restores_the_clock(clock):
    with clock.travel(dt.date(2030, 1, 1)):
        assert clock.today() == dt.date(2030, 1, 1)
    assert abs(clock.now() - timezone.now()) < dt.timedelta(seconds=5)  # the system clock again
