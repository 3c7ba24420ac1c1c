"""The audit trail's index of dossier transitions (issue 19), PostgreSQL only: it replaces
``reporting_audit_stage_dates`` (0003), which held only the export's stage transitions.

The decision export reads, for 2,000 dossiers at a time, the latest date of each stage and the
status history behind the processing times; both come from the dossiers' transition events. The
history read every event's canonical JSON through a bitmap of two indexes (0.1–0.3 s a chunk on
the realistic data set); with every transition in this partial, covering index and the status
reached taken from the state machine (``fonds.reporting.processing_data``), both are index-only
scans. Its predicate lists every dossier transition (a test keeps it equal to the model's).
Built CONCURRENTLY: the audit table is not locked against appends while it builds.
"""

import importlib

from django.db import migrations

NAME = "reporting_audit_transitions"
OLD = "reporting_audit_stage_dates"
TRANSITIONS = [
    "accept_agreement",
    "approve",
    "complete_instruction",
    "declare_ineligible",
    "defer",
    "expire_corrections",
    "lapse",
    "pay_advance",
    "promote",
    "recover",
    "reject",
    "renounce",
    "reopen_instruction",
    "request_corrections",
    "resubmit",
    "schedule",
    "settle",
    "start_instruction",
    "submit",
    "submit_report",
    "unschedule",
    "waitlist",
    "withdraw",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        listed = ", ".join(f"'{action}'" for action in TRANSITIONS)
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {NAME} ON audit_auditevent (object_id, action) "
            f"INCLUDE (created_at) WHERE object_type = 'dossiers.dossier' AND action IN ({listed})"
        )
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {OLD}")


def backwards(apps, schema_editor):
    previous = importlib.import_module("fonds.reporting.migrations.0003_audit_stage_dates_index")
    previous.create(apps, schema_editor)  # PostgreSQL only, as here
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {NAME}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("reporting", "0003_audit_stage_dates_index")]

    operations = [migrations.RunPython(forwards, backwards)]
