"""E1–E9 (placeholder being written)."""
from dataclasses import dataclass, field


@dataclass
class Outcome:
    code: str
    result: str
    explanation: str
    how_to_fix: str = ""
    data: dict = field(default_factory=dict)


def evaluate_all(dossier, ruleset, *, at):
    return []
