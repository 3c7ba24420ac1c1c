"""The world of the permission matrix, shared with the hostile-input corpus."""

from tests.security.test_permission_matrix import world  # noqa: F401 — fixture
