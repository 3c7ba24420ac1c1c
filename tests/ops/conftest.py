"""Fixtures shared with the committee and payment tests."""

from tests.comite.conftest import committee  # noqa: F401 — fixture
from tests.payments.conftest import cast  # noqa: F401 — fixture
