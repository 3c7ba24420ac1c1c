"""The decision export's stage dates are read through a partial index of the audit trail
(PostgreSQL): its predicate must list exactly the actions the export asks for, or the planner
cannot use it and the export scans every event of every dossier again."""

import importlib

from fonds.reporting import decisions


def test_stage_dates_index_covers_exactly_the_exported_stage_actions():
    migration = importlib.import_module("fonds.reporting.migrations.0003_audit_stage_dates_index")
    assert migration.STAGE_ACTIONS == decisions._STAGE_ACTIONS
