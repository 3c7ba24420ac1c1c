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


#: the status each transition reached when its events were written: the histories of the trail
#: are read with this table, so a transition never changes its target (a new target is a new
#: transition, with its own name), or the years already recorded would be read wrong
TARGETS_OF_THE_TRAIL = {
    "accept_agreement": "agreement_signed",
    "approve": "approved",
    "complete_instruction": "instructed",
    "declare_ineligible": "ineligible",
    "defer": "instructed",
    "expire_corrections": "closed_without_follow_up",
    "lapse": "lapsed",
    "pay_advance": "advance_paid",
    "promote": "approved",
    "recover": "closed",
    "reject": "rejected",
    "renounce": "renounced",
    "reopen_instruction": "in_instruction",
    "request_corrections": "corrections_requested",
    "resubmit": "in_instruction",
    "schedule": "in_committee",
    "start_instruction": "in_instruction",
    "submit": "submitted",
    "submit_report": "report_submitted",
    "unschedule": "instructed",
    "waitlist": "waitlisted",
    "withdraw": "withdrawn",
}


def test_a_transition_keeps_the_target_its_recorded_events_reached():
    assert processing_data.TARGETS == TARGETS_OF_THE_TRAIL
    assert processing_data.DECIDED == ["settle"]  # closed, or recovery pending: read from its event
