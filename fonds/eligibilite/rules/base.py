"""What every eligibility rule shares: its outcome, the registry (evaluation order) and small helpers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from ..models import Verdict

PASS = Verdict.Result.PASS.value
FAIL = Verdict.Result.FAIL.value
NOT_APPLICABLE = Verdict.Result.NOT_APPLICABLE.value


@dataclass
class Outcome:
    code: str
    result: str
    explanation: str
    how_to_fix: str = ""
    data: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.result == PASS

    @property
    def failed(self) -> bool:
        return self.result == FAIL


Rule = Callable[..., Outcome]
REGISTRY: dict[str, Rule] = {}


def rule(code: str):
    """Register a rule function under its code; ``REGISTRY`` stays in E1..E9 order (evaluation
    order), whatever the order the rule modules are imported in."""

    def register(func: Rule) -> Rule:
        REGISTRY[code] = func
        for key in sorted(REGISTRY, key=lambda c: int(c[1:])):
            REGISTRY[key] = REGISTRY.pop(key)
        func.code = code
        return func

    return register


# ---- small helpers -------------------------------------------------------------------------


def _params(ruleset) -> dict:
    return ruleset.params["eligibility"]


def local_date(moment: dt.datetime) -> dt.date:
    return timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()


def submission_moment(dossier, at: dt.datetime) -> dt.datetime:
    """When the dossier was (or is being) submitted: ``submitted_at`` if set, else ``at``."""
    return dossier.submitted_at or at


def _as_int(value):
    """An age as int, or None when it is not a whole number (a typing error in the form)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return int(number) if number == number.to_integral_value() else None


#: attribute of a dossier holding reverse relations its caller loaded itself, ``{name: rows}``;
#: a row is anything with the fields the rules read (the what-if loads named tuples:
#: `fonds.administration.whatif`)
LOADED = "loaded_relations"


def _related(dossier, name: str) -> list:
    """Rows of a reverse relation: those the caller loaded (``LOADED``), else the prefetch cache
    when present (else one query)."""
    loaded = getattr(dossier, LOADED, None)
    if loaded is not None:
        return loaded[name]
    return list(getattr(dossier, name).all())


def _outcome(code: str, problems: list[tuple[str, str]], data: dict, ok_text: str) -> Outcome:
    """Fail with every problem found (explanations and fixes joined), or pass with ``ok_text``."""
    if problems:
        return Outcome(
            code,
            FAIL,
            " ".join(text for text, _ in problems),
            " ".join(fix for _, fix in problems if fix),
            data,
        )
    return Outcome(code, PASS, ok_text, "", data)
