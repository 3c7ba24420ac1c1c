"""One refusal for every service of the fund: a kind, a French message, the rules it cites.

Views and the API turn it into what the user sees (its HTTP status from ``kind``); services of
each stage subclass it (``TransitionRefused``, ``ComiteRefused``, ``PaymentRefused``) only to name
the stage in tracebacks and to add kinds of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Refused(Exception):
    # status | forum | too_early | conflict | role | recused | condition | motivation | not_found | unknown
    kind: str
    message: str
    rules: list = field(default_factory=list)
    code: str = ""  # the API's error code when more precise than ``kind`` (e.g. forum_committee_sitting)

    HTTP = {
        "status": 409,
        "forum": 409,
        "too_early": 409,
        "conflict": 409,
        "role": 403,
        "recused": 403,
        "condition": 400,
        "motivation": 400,
        "unknown": 404,
        "not_found": 404,
    }

    def __str__(self):
        return self.message

    @property
    def http_status(self) -> int:
        return self.HTTP.get(self.kind, 400)
