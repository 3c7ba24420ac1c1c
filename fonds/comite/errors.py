"""The comité's refusal (its own module: the services and the composition both raise it)."""

from __future__ import annotations

from fonds.refusals import Refused


class ComiteRefused(Refused):
    """A refused step of the comité (``fonds.refusals.Refused``): ``status``/``too_early`` 409,
    ``role``/``recused`` 403, ``condition`` 400, ``not_found`` 404."""
