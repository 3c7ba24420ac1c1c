from tests.comite.conftest import committee  # noqa: F401 — the committee fixture (sealed minutes, letters)
