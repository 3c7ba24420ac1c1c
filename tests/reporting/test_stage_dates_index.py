"""The decision export reads the dossiers' stage dates and status histories through a partial
index of the audit trail (PostgreSQL): its predicate must cover every action the export asks
for, or the planner cannot use it and the export reads every event of every dossier again."""

import importlib

from fonds.dossiers.services import TRANSITIONS
from fonds.reporting import decisions, processing_data


def _index_actions():
    return importlib.import_module("fonds.reporting.migrations.0004_audit_transitions_index").TRANSITIONS


def test_transitions_index_lists_exactly_the_dossiers_transitions():
    assert _index_actions() == sorted(TRANSITIONS)


def test_stage_dates_and_histories_ask_only_for_indexed_actions():
    indexed = set(_index_actions())
    assert set(decisions._STAGE_ACTIONS) <= indexed
    assert set(processing_data.TARGETS) | set(processing_data.DECIDED) == indexed
