"""Helpers for the grant-amount tests."""
import pytest

from fonds.referentiel.rules import default_rules


@pytest.fixture
def params():
    """A fresh copy of the règlement's default rule parameters."""
    return default_rules()
