"""The comité's refusal (its own module: the services and the composition both raise it)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ComiteRefused(Exception):
    """A refused step of the comité, with a French message. ``kind``: ``status`` 409,
    ``too_early`` 409 (a date not yet reached), ``role`` 403, ``recused`` 403, ``condition`` 400,
    ``not_found`` 404."""

    kind: str  # status | too_early | role | condition | recused | not_found
    message: str
    rules: list = field(default_factory=list)

    HTTP = {"status": 409, "too_early": 409, "role": 403, "recused": 403, "condition": 400, "not_found": 404}

    def __str__(self):
        return self.message

    @property
    def http_status(self) -> int:
        return self.HTTP.get(self.kind, 400)
